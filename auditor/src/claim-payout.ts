import { connectTrainingJobs } from "@tributary/contracts/typed";
import { type Bytes32, TributaryError, verifyPayoutProof } from "@tributary/protocol";
import type { ContractTransactionResponse, Signer } from "ethers";
import { fetchPayoutProof } from "./coordinator-ledger.js";
import { ClaimRefusedError, CoordinatorHttpError } from "./ledger-errors.js";
import { TrainingJobsReader, trainingJobsErrorName } from "./training-jobs-reader.js";

export interface ClaimPayoutOptions {
  readonly coordinatorUrl: string;
  readonly jobId: string | bigint;
  /** The contributor's account, connected to a provider of the job's chain: it sends and pays for the claim. */
  readonly signer: Signer;
  readonly trainingJobs: string;
}

/**
 * Claims the signer's payout from a finalised job: reads the job from the chain, fetches the Merkle proof from
 * the coordinator and checks it against the chain's payout root before sending anything, so a wrong or dishonest
 * proof costs no gas. Refuses (`ClaimRefusedError` with its `reason`) when the job is unknown or not finalised,
 * the claim period is over, the payout was already claimed, the coordinator has no payout for this address, or
 * the proof does not verify; a claim the contract still reverts is refused with the contract's error name.
 */
export async function claimPayout(options: ClaimPayoutOptions): Promise<{ amount: bigint; txHash: string }> {
  const { signer } = options;
  const provider = signer.provider;
  if (provider === null) {
    throw new TributaryError("INVALID_INPUT", "claimPayout needs a signer connected to a provider of the job's chain");
  }
  const trainer = (await signer.getAddress()).toLowerCase();
  const jobId = BigInt(options.jobId);
  const reader = await TrainingJobsReader.at(provider, options.trainingJobs);
  const job = await reader.job(jobId);
  if (job === undefined) {
    throw new ClaimRefusedError("unknown-job", `TrainingJobs at ${reader.address} knows no job ${jobId}`, {
      jobId: String(jobId),
    });
  }
  if (job.status !== "Finalized") {
    throw new ClaimRefusedError(
      "not-finalized",
      `job ${jobId} is not finalised yet (it is ${job.status}, ${job.roundsAnchored}/${job.rounds} rounds anchored): payouts can be claimed once the coordinator finalises it`,
      { jobId: String(jobId), status: job.status },
    );
  }
  if (reader.blockTimestamp > job.claimDeadline) {
    throw new ClaimRefusedError(
      "claim-period-over",
      `the claim period of job ${jobId} ended at ${new Date(Number(job.claimDeadline) * 1000).toISOString()}`,
      { jobId: String(jobId), claimDeadline: String(job.claimDeadline) },
    );
  }
  if (await reader.isClaimed(jobId, trainer)) {
    throw new ClaimRefusedError("already-claimed", `${trainer} has already claimed its payout from job ${jobId}`, {
      jobId: String(jobId),
      trainer,
    });
  }
  let proof: Awaited<ReturnType<typeof fetchPayoutProof>>;
  try {
    proof = await fetchPayoutProof(options.coordinatorUrl, jobId, trainer);
  } catch (error) {
    if (error instanceof CoordinatorHttpError && error.status === 404) {
      throw new ClaimRefusedError(
        "no-payout",
        `job ${jobId} has no payout for ${trainer} (the coordinator says: ${error.message})`,
        { jobId: String(jobId), trainer },
        error,
      );
    }
    throw error;
  }
  const amount = BigInt(proof.amount);
  const verifies =
    amount > 0n && verifyPayoutProof(job.payoutRoot as Bytes32, { trainer: proof.trainer, amount }, proof.proof);
  if (!verifies) {
    throw new ClaimRefusedError(
      "invalid-proof",
      `the coordinator's proof that ${trainer} is owed ${amount} does not verify against job ${jobId}'s payout root on chain (${job.payoutRoot}; the coordinator claims ${proof.payoutRoot}): not sending a claim that would revert`,
      { jobId: String(jobId), trainer, amount: String(amount), payoutRoot: job.payoutRoot },
    );
  }
  const contract = connectTrainingJobs(reader.address, signer);
  let tx: ContractTransactionResponse;
  try {
    tx = await contract.claim(jobId, trainer, amount, proof.proof);
  } catch (error) {
    const name = trainingJobsErrorName(error);
    if (name === undefined) throw error;
    const reason =
      name === "TrainingJobsAlreadyClaimed"
        ? "already-claimed"
        : name === "TrainingJobsClaimPeriodOver"
          ? "claim-period-over"
          : "reverted";
    throw new ClaimRefusedError(
      reason,
      `TrainingJobs refused the claim of ${trainer} on job ${jobId}: ${name}`,
      { jobId: String(jobId), trainer, error: name },
      error,
    );
  }
  const receipt = await tx.wait();
  if (receipt === null || receipt.status !== 1) {
    throw new TributaryError("CLAIM_FAILED", `the claim transaction ${tx.hash} was not mined successfully`, {
      details: { txHash: tx.hash },
    });
  }
  return { amount, txHash: tx.hash };
}
