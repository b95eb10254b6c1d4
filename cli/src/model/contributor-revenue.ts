import {
  type ContributorShare,
  contributorShare,
  type RevenueClaimRefusal,
  RevenueClaimRefusedError,
} from "@tributary/auditor";
import type { ModelRegistry } from "@tributary/contracts/typed";
import { TributaryError } from "@tributary/protocol";
import type { Wallet } from "ethers";
import type { Output } from "../chain/output.js";
import { RefusedError } from "../chain/run-command.js";
import { type MinedTransaction, sendAndWait } from "../chain/transactions.js";

/** Why a contributor's share of a model's licence revenue was not claimed (the auditor library's reasons). */
export type RevenueRefusal = RevenueClaimRefusal;

/** A revenue claim refused before or by the contract, with its reason. */
export class RevenueRefusedError extends RefusedError {
  constructor(
    readonly reason: RevenueRefusal,
    message: string,
    details: Record<string, unknown> = {},
    cause?: unknown,
  ) {
    super(`REVENUE_${reason.toUpperCase().replaceAll("-", "_")}`, message, details, cause);
  }
}

export interface RevenueClaim {
  readonly modelId: string;
  readonly jobId: string;
  readonly trainer: string;
  /** The trainer's amount in the job's payout tree, which sets its share of the pool. */
  readonly payout: bigint;
  /** What this claim paid, in base units of the model's payment token. */
  readonly amount: bigint;
  readonly transaction: MinedTransaction;
}

/**
 * Claims `trainer`'s share of model `modelId`'s contributor pool: `pool × payout / payoutTotal`, less what it was
 * paid before, where `(trainer, payout)` is its leaf in the payout tree of the job the model references. The proof
 * is the job's payout proof from the coordinator, checked against the job's payout root on TrainingJobs before
 * anything is sent. Refuses (`RevenueRefusedError`, no gas spent) an unknown model, a model of no job, a trainer
 * the job did not pay, a proof the chain does not back, and a share already paid in full.
 */
export async function claimModelRevenue(
  out: Output,
  input: { trainer: Wallet; models: ModelRegistry; trainingJobs: string; coordinatorUrl: string; modelId: bigint },
): Promise<RevenueClaim> {
  const { trainer, models, modelId } = input;
  const provider = trainer.provider;
  if (provider === null) throw new TypeError("claimModelRevenue needs a trainer connected to the chain");
  let share: ContributorShare;
  try {
    share = await contributorShare({
      provider,
      modelRegistry: await models.getAddress(),
      trainingJobs: input.trainingJobs,
      coordinatorUrl: input.coordinatorUrl,
      modelId,
      trainer: trainer.address,
    });
  } catch (error) {
    if (!(error instanceof RevenueClaimRefusedError)) throw error;
    throw new RevenueRefusedError(error.reason, error.message, error.details, error);
  }
  const { trainer: who, payout, pool, entitled, claimed, proof } = share;
  const jobId = String(share.jobId);
  if (share.claimable === 0n) {
    throw new RevenueRefusedError(
      "nothing-to-claim",
      `${who} has nothing new to claim from model ${modelId}: its share of the ${pool} base units its licences put in the contributors' pool is ${entitled}, and ${claimed} was paid already`,
      { pool, entitled, claimed },
    );
  }
  let transaction: MinedTransaction;
  try {
    transaction = await sendAndWait(out, {
      description: `claim ${who}'s share of model ${modelId}'s licence revenue`,
      call: "ModelRegistry.claimContributorRevenue",
      send: () => models.claimContributorRevenue(modelId, who, payout, [...proof]),
    });
  } catch (error) {
    if (!(error instanceof RefusedError) || error.code !== "REVERTED") throw error;
    throw new RevenueRefusedError("reverted", error.message, error.details, error);
  }
  const logs = await models.queryFilter(
    models.filters.ContributorRevenueClaimed(modelId, who),
    transaction.blockNumber,
    transaction.blockNumber,
  );
  const paid = logs.find((log) => log.transactionHash === transaction.hash);
  if (paid === undefined) {
    throw new TributaryError("NO_EVENT", `ModelRegistry emitted no ContributorRevenueClaimed in ${transaction.hash}`);
  }
  return { modelId: String(modelId), jobId, trainer: who, payout, amount: paid.args.amount, transaction };
}

/** What became of one model's revenue in `claim --all`: claimed now, or why not. */
export interface RevenueRow {
  readonly modelId: string;
  readonly jobId: string;
  readonly outcome: "claimed" | RevenueRefusal | "error";
  /** Paid by this claim (base units of the model's payment token); null unless claimed. */
  readonly amount: bigint | null;
  readonly txHash: string | null;
  /** Why it was not claimed (empty when claimed). */
  readonly message: string;
}

/** Outcomes no one is at fault for: nothing new in the pool, or no payout in the job. */
export const REVENUE_SKIPPED: readonly RevenueRow["outcome"][] = ["nothing-to-claim", "no-payout"];

/**
 * `claim --all`'s revenue part: every model registered (since `fromBlock`) for one of `jobIds`, each claimed as
 * `claim --revenue --model` claims it. A model that cannot be claimed is a row with its reason, not an end.
 */
export async function claimRevenueOfJobs(
  out: Output,
  input: {
    trainer: Wallet;
    models: ModelRegistry;
    trainingJobs: string;
    coordinatorUrl: string;
    jobIds: readonly string[];
    fromBlock: number;
  },
): Promise<RevenueRow[]> {
  const { models } = input;
  const rows: RevenueRow[] = [];
  for (const jobId of input.jobIds) {
    const registered = await models.queryFilter(
      models.filters.ModelRegistered(undefined, undefined, BigInt(jobId)),
      input.fromBlock,
    );
    for (const log of registered) {
      const modelId = log.args.modelId;
      let row: RevenueRow;
      try {
        const claim = await claimModelRevenue(out, { ...input, modelId });
        row = {
          modelId: String(modelId),
          jobId,
          outcome: "claimed",
          amount: claim.amount,
          txHash: claim.transaction.hash,
          message: "",
        };
      } catch (error) {
        const outcome = error instanceof RevenueRefusedError ? error.reason : "error";
        row = {
          modelId: String(modelId),
          jobId,
          outcome,
          amount: null,
          txHash: null,
          message: (error as Error).message,
        };
      }
      rows.push(row);
    }
  }
  return rows;
}
