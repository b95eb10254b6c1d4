import type { Address, JobLedger } from "@tributary/protocol";
import type { Provider } from "ethers";
import { type LedgerReport, ReportBuilder } from "./ledger-report.js";
import { type RecomputeScoresOptions, recomputeScores } from "./recompute-scores.js";
import { TrainingJobsReader } from "./training-jobs-reader.js";
import { type FetchBlob, verifyBlobs } from "./verify-blobs.js";
import { verifyPayouts } from "./verify-payouts.js";
import { verifyRounds } from "./verify-rounds.js";
import { verifySecureAggregation } from "./verify-secure-aggregation.js";
import { verifySignatures } from "./verify-signatures.js";

export interface VerifyLedgerOptions {
  /** The ledger as the coordinator served it (`fetchLedger`). */
  readonly ledger: JobLedger;
  /** A JSON-RPC provider of the chain the job lives on: the roots are read from it, never from the ledger. */
  readonly provider: Provider;
  /** The TrainingJobs contract to read (ideally from a deployment the auditor trusts, not from the ledger). */
  readonly trainingJobs: string;
  /**
   * Fetches a blob by CID; `undefined` (or a throw) means the coordinator does not serve it: a disagreement naming
   * the round, the trainer and the CID. Leave it out to skip blobs (the report says they were not checked).
   */
  readonly fetchBlob?: FetchBlob | undefined;
  /** Why blobs are skipped when `fetchBlob` is absent, for the report (default: `--skip-blobs`). */
  readonly blobsSkippedBecause?: string | undefined;
  /**
   * Recompute every round's scores from its inputs and compare them with the anchored leaves
   * (`recomputeScores`; needs `fetchBlob`). The scoring comes from the job spec, the loss from the published
   * validation set: the caller evaluates the model (the auditor library runs no model itself).
   */
  readonly recomputeScores?: RecomputeScoresOptions | undefined;
}

/**
 * Audits a job's ledger against the chain, trusting neither the coordinator nor the ledger:
 * - the chain id of the provider must be the ledger's, and the job must exist on `trainingJobs`;
 * - every anchored round must be in the ledger and every ledger round whose anchor is confirmed on chain; each
 *   round's root is recomputed from its leaves and compared with the anchored root and the ledger's own; model
 *   hashes and anchor transactions are compared;
 * - each leaf obeys the scoring rules (rejected → 0, scores sum to 1e18 per round, `examples` scores follow
 *   numExamples) and its CID commits to its hash; every blob is served and hashes to its leaf's updateHash or the
 *   round's modelHash (unless blobs are skipped);
 * - each leaf's EIP-712 update signature (in the domain of this chain and `trainingJobs`) recovers to its trainer;
 *   attestation kinds are counted, simulated ones flagged; a ledger without signatures is a warning;
 * - payouts are recomputed with `computePayouts` from cumulative scores and the chain's escrow and fee rate and
 *   compared with the chain's payout root and total and the ledger's payout section, per contributor;
 * - with `recomputeScores`, each round's scores are recomputed from its starting model, its update blobs, its
 *   leaves' example counts and rejections and the validation set, and compared with each anchored leaf's score.
 *
 * What it can and cannot pinpoint: the chain stores one root per round, so a changed leaf shows as that round's
 * root mismatch. The leaf itself is named when other evidence singles it out: its blob or CID (updateHash), the
 * chain-proven payout amounts (score; needs a finalised job and payout leaves matching the chain's root), or, under
 * `examples` scoring with three or more accepted leaves, the score/numExamples ratio of the others, and, whatever
 * the scoring, the trainer's update signature (numExamples, updateHash, datasetId, ε). Without signatures (an
 * older coordinator) a numExamples changed under a validation-set scoring method is only seen as its round's root
 * mismatch.
 */
export async function verifyLedger(options: VerifyLedgerOptions): Promise<LedgerReport> {
  const { ledger, provider } = options;
  const { chainId } = await provider.getNetwork();
  const builder = new ReportBuilder(ledger.jobId, String(chainId), options.trainingJobs.toLowerCase());
  if (BigInt(ledger.chainId) !== chainId) {
    builder.add({
      kind: "chain-id",
      expected: String(chainId),
      actual: String(ledger.chainId),
      message: `the ledger is for chain ${ledger.chainId} but the RPC serves chain ${chainId}: nothing else can be compared`,
    });
    return builder.finish();
  }
  const reader = await TrainingJobsReader.at(provider, options.trainingJobs);
  builder.blockNumber = reader.blockNumber;
  builder.compare(
    "training-jobs-address",
    reader.address,
    ledger.trainingJobs,
    `the ledger names TrainingJobs at ${ledger.trainingJobs}, but the roots were read from ${reader.address}`,
  );
  const job = await reader.job(BigInt(ledger.jobId));
  if (job === undefined) {
    builder.add({
      kind: "unknown-job",
      actual: ledger.jobId,
      message: `TrainingJobs at ${reader.address} knows no job ${ledger.jobId}`,
    });
    return builder.finish();
  }
  builder.compare(
    "escrow",
    String(job.escrow),
    ledger.escrow,
    `the ledger's escrow ${ledger.escrow} ≠ ${job.escrow} on chain`,
  );
  builder.compare(
    "fee-bps",
    String(job.feeBps),
    String(ledger.feeBps),
    `the ledger's feeBps ${ledger.feeBps} ≠ ${job.feeBps} on chain`,
  );

  const rounds = await verifyRounds(builder, reader, job, ledger);
  verifySignatures(builder, ledger, chainId, reader.address.toLowerCase() as Address);
  checkEpsilon(builder, ledger);
  verifySecureAggregation(builder, ledger);
  await verifyBlobs(builder, ledger, options.fetchBlob, options.blobsSkippedBecause);
  await verifyPayouts(builder, reader, job, ledger, rounds);
  if (options.recomputeScores !== undefined) {
    if (options.fetchBlob === undefined) throw new Error("recomputing the scores needs the blobs (fetchBlob)");
    builder.recomputed = await recomputeScores(builder, ledger, options.fetchBlob, options.recomputeScores);
  }
  return builder.finish();
}

/**
 * Each dataset's ε in `epsilonByDataset` must be at least the highest cumulative ε its trainers signed in the
 * leaves (it may be higher: rounds still running spend too). ε is not anchored; this checks the ledger's
 * consistency only.
 */
function checkEpsilon(builder: ReportBuilder, ledger: JobLedger): void {
  const highest = new Map<string, number | null>();
  for (const round of ledger.rounds) {
    for (const leaf of round.leaves) {
      const known = highest.get(leaf.datasetId) ?? null;
      const spent = leaf.epsilonSpent;
      highest.set(leaf.datasetId, spent === null ? known : Math.max(known ?? 0, spent));
    }
  }
  for (const [datasetId, spent] of highest) {
    const recorded = ledger.epsilonByDataset[datasetId];
    if (recorded === undefined || (spent !== null && (recorded === null || recorded < spent))) {
      builder.add({
        kind: "epsilon",
        expected: spent === null ? "null" : String(spent),
        actual: recorded === undefined ? "absent" : String(recorded),
        message: `dataset ${datasetId}: epsilonByDataset says ${recorded === undefined ? "nothing" : String(recorded)}, but its leaves report ε up to ${spent}`,
      });
    }
  }
}
