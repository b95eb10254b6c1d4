import type { ModelRegistry } from "@tributary/contracts/typed";
import type { JobId } from "@tributary/protocol";
import type { Wallet } from "ethers";
import type { Output } from "../chain/output.js";
import { type MinedTransaction, sendAndWait } from "../chain/transactions.js";
import { researchersJob } from "../job/job-info.js";

/**
 * `tributary model approve`'s core: job `jobId`'s researcher lets `provider` register (and read) the job's final
 * model on ModelRegistry, or with `approved: false` revokes that. Refuses, before anything is sent, an unknown job
 * and a signer that is not its researcher.
 */
export async function approveProvider(
  out: Output,
  input: {
    readonly researcher: Wallet;
    readonly models: ModelRegistry;
    readonly trainingJobs: string;
    readonly jobId: JobId;
    readonly provider: string;
    readonly approved: boolean;
  },
): Promise<MinedTransaction> {
  const { researcher, models, jobId, provider, approved } = input;
  const chain = researcher.provider;
  if (chain === null) throw new TypeError("approveProvider needs a researcher connected to the chain");
  const only = "only its researcher approves its providers";
  await researchersJob(chain, input.trainingJobs, jobId, researcher.address, only);
  return sendAndWait(out, {
    description: `${approved ? "approve" : "revoke"} provider ${provider} for job ${jobId}`,
    call: "ModelRegistry.setProviderApproval",
    send: () => models.setProviderApproval(BigInt(jobId), provider, approved),
  });
}
