import { type ClaimRefusal, ClaimRefusedError, claimPayout } from "@tributary/auditor";
import type { DatasetRegistry, TrainingJobs } from "@tributary/contracts/typed";
import { parseChainEvent } from "@tributary/protocol";
import type { Signer } from "ethers";
import { datasetsEverOwned, eventArgs } from "./dataset-records.js";

/** What became of one finalised job's payout: claimed now, or why not. */
export type ClaimOutcome = "claimed" | ClaimRefusal | "error";

export interface ClaimRow {
  readonly jobId: string;
  readonly outcome: ClaimOutcome;
  /** Paid by this claim (base units of the job's token); null unless claimed. */
  readonly amount: bigint | null;
  readonly txHash: string | null;
  /** Why it was not claimed (empty when claimed). */
  readonly message: string;
}

/** Outcomes that are no fault of anyone's: paid before, nothing owed, too late. Others make `claim --all` exit 1. */
export const SKIPPED: readonly ClaimOutcome[] = ["already-claimed", "no-payout", "claim-period-over"];

/**
 * The finalised jobs on TrainingJobs that trained on a dataset `owner` held (registered or received, from
 * `fromBlock` on): the jobs whose payouts may name it, since a trainer signs in with its dataset's owner key.
 */
export async function finalisedJobsOf(input: {
  readonly registry: DatasetRegistry;
  readonly jobs: TrainingJobs;
  readonly owner: string;
  readonly fromBlock: number;
}): Promise<string[]> {
  const { jobs, fromBlock } = input;
  const owned = new Set(await datasetsEverOwned(input.registry, input.owner, fromBlock));
  if (owned.size === 0) return [];
  const created = await jobs.queryFilter(jobs.filters.JobCreated(), fromBlock);
  const trainedOn = new Set(
    created
      .map((log) => parseChainEvent("JobCreated", eventArgs(log)).args)
      .filter((job) => job.datasetIds.some((id) => owned.has(id)))
      .map((job) => job.jobId),
  );
  const finalised = await jobs.queryFilter(jobs.filters.JobFinalized(), fromBlock);
  return finalised
    .map((log) => parseChainEvent("JobFinalized", eventArgs(log)).args.jobId)
    .filter((jobId) => trainedOn.has(jobId))
    .sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : 1));
}

/**
 * Claims the signer's payout from every job in `jobIds`, one after another, each as `tributary claim` does
 * (`claimPayout`: the coordinator's proof checked against the chain's payout root before anything is sent). A job
 * that cannot be claimed is a row with its reason, not an end: the others are still claimed.
 */
export async function claimJobs(input: {
  readonly coordinatorUrl: string;
  readonly signer: Signer;
  readonly trainingJobs: string;
  readonly jobIds: readonly string[];
  readonly onRow?: (row: ClaimRow, index: number) => void;
}): Promise<ClaimRow[]> {
  const rows: ClaimRow[] = [];
  for (const jobId of input.jobIds) {
    let row: ClaimRow;
    try {
      const { amount, txHash } = await claimPayout({
        coordinatorUrl: input.coordinatorUrl,
        jobId,
        signer: input.signer,
        trainingJobs: input.trainingJobs,
      });
      row = { jobId, outcome: "claimed", amount, txHash, message: "" };
    } catch (error) {
      const outcome = error instanceof ClaimRefusedError ? error.reason : "error";
      row = { jobId, outcome, amount: null, txHash: null, message: (error as Error).message };
    }
    rows.push(row);
    input.onRow?.(row, rows.length - 1);
  }
  return rows;
}
