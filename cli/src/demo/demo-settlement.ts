import {
  coordinatorBlobFetcher,
  fetchLedger,
  type LedgerReport,
  readPayoutFloors,
  TrainingJobsReader,
  verifyLedger,
} from "@tributary/auditor";
import type { Address, DatasetId, JobId, JobLedger, ScoringSpec } from "@tributary/protocol";
import type { Output } from "../chain/output.js";
import { claimJobs, SKIPPED } from "../dataset/claim-all.js";
import type { CoordinatorClient } from "../job/coordinator-client.js";
import { type DemoChain, DemoChainError } from "./demo-chain.js";
import type { DemoOwner } from "./demo-owners.js";

/** What one contributor got from a job. */
export interface PayoutRow {
  /** 1-based, as the demo numbers its owners. */
  readonly owner: number;
  readonly trainer: Address;
  readonly datasetId: DatasetId;
  /** The contributor's share of the job's cumulative scores, in [0, 1]. */
  readonly score: number;
  /**
   * TRIB wei it was owed before the split by score: its dataset's `pricePerRound` on DatasetRegistry × the rounds
   * it took part in, as the auditor reads them from the chain and the ledger.
   */
  readonly floor: bigint;
  /** TRIB wei paid by its claim (0: no payout leaf, nothing claimed). */
  readonly amount: bigint;
  readonly claimTx: string | null;
}

/** How a finished on-chain job was paid out, as the chain records it, and the auditor's verdict on its ledger. */
export interface JobSettlement {
  readonly chainId: number;
  readonly trainingJobs: string;
  readonly scoring: ScoringSpec["method"];
  readonly escrow: bigint;
  readonly fee: bigint;
  readonly payoutTotal: bigint;
  /** Returned to the researcher by `reclaim` (escrow − fee − payouts). */
  readonly refund: bigint;
  readonly refundTx: string | null;
  readonly finalizeTx: string | null;
  readonly payouts: readonly PayoutRow[];
  readonly ledger: LedgerReport;
}

/** Rounds anchored and payouts finalised can lag the job by a few blocks (and confirmations on a real chain). */
const FINALISE_TIMEOUT_MS = 600_000;

async function finalisedLedger(coordinatorUrl: string, jobId: JobId): Promise<JobLedger> {
  const started = Date.now();
  for (;;) {
    const ledger = await fetchLedger(coordinatorUrl, jobId);
    const status = ledger.payout?.finalize.status;
    if (status === "confirmed") return ledger;
    if (status === "failed") {
      throw new DemoChainError(`the coordinator's finalizeJob for job ${jobId} failed on chain`, { jobId });
    }
    if (Date.now() - started > FINALISE_TIMEOUT_MS) {
      throw new DemoChainError(
        `job ${jobId} was not finalised on chain within ${FINALISE_TIMEOUT_MS / 1000}s (payout ${status ?? "not computed"})`,
        { jobId },
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** Each contributor's share of the cumulative scores, to 1e-12. */
function scoreShares(ledger: JobLedger): Map<string, number> {
  const leaves = ledger.payout?.leaves ?? [];
  const total = leaves.reduce((sum, leaf) => sum + BigInt(leaf.cumulativeScore), 0n);
  return new Map(
    leaves.map((leaf) => [
      leaf.trainer,
      total === 0n ? 0 : Number((BigInt(leaf.cumulativeScore) * 10n ** 12n) / total) / 1e12,
    ]),
  );
}

/**
 * After a job completes: waits for the coordinator's `finalizeJob` to be confirmed, has every owner claim its
 * payout as `tributary claim` does (`claimJobs`: the proof checked against the chain first; an owner with no payout
 * is skipped), has the researcher reclaim the rest, then audits the job's ledger against the chain exactly as
 * `tributary ledger verify` does, with TrainingJobs taken from the deployment the demo itself used, not from the
 * ledger.
 */
export async function settleJob(input: {
  readonly coordinatorUrl: string;
  readonly chain: DemoChain;
  readonly jobId: JobId;
  readonly owners: readonly DemoOwner[];
  /** The researcher's session: the job's update and model blobs are readable by the researcher. */
  readonly researcher: CoordinatorClient;
  /** Where the researcher's reclaim reports what it sends. */
  readonly out: Output;
}): Promise<JobSettlement> {
  const { coordinatorUrl, chain, jobId } = input;
  const finalised = await finalisedLedger(coordinatorUrl, jobId);
  const shares = scoreShares(finalised);
  const { floors } = await readPayoutFloors(await TrainingJobsReader.at(chain.provider, chain.trainingJobs), finalised);
  const payouts: PayoutRow[] = [];
  for (const [index, owner] of input.owners.entries()) {
    const trainer = owner.wallet.address.toLowerCase() as Address;
    // Each owner claims as `tributary claim` does (the same core as `claim --all`): proof checked on chain first.
    const [claim] = await claimJobs({
      coordinatorUrl,
      signer: owner.wallet,
      trainingJobs: chain.trainingJobs,
      jobIds: [jobId],
    });
    if (claim === undefined || (claim.outcome !== "claimed" && !SKIPPED.includes(claim.outcome))) {
      throw new DemoChainError(`owner ${index + 1} could not claim its payout from job ${jobId}: ${claim?.message}`, {
        jobId,
        trainer,
        outcome: claim?.outcome,
      });
    }
    payouts.push({
      owner: index + 1,
      trainer,
      datasetId: owner.datasetId,
      score: shares.get(trainer) ?? 0,
      floor: floors.get(trainer)?.floor ?? 0n,
      amount: claim.amount ?? 0n,
      claimTx: claim.txHash,
    });
  }
  const reclaimed = await chain.reclaim(input.out, jobId);
  const ledger = await fetchLedger(coordinatorUrl, jobId);
  const report = await verifyLedger({
    ledger,
    provider: chain.provider,
    trainingJobs: chain.trainingJobs,
    fetchBlob: coordinatorBlobFetcher(coordinatorUrl, jobId, input.researcher.token),
  });
  const job = await (await TrainingJobsReader.at(chain.provider, chain.trainingJobs)).job(BigInt(jobId));
  if (job === undefined) throw new DemoChainError(`TrainingJobs knows no job ${jobId}`, { jobId });
  return {
    chainId: chain.chainId,
    trainingJobs: chain.trainingJobs,
    scoring: ledger.scoring.method,
    escrow: job.escrow,
    fee: job.fee,
    payoutTotal: job.payoutTotal,
    refund: job.refunded,
    refundTx: reclaimed?.txHash ?? null,
    finalizeTx: ledger.payout?.finalize.txHash ?? null,
    payouts,
    ledger: report,
  };
}
