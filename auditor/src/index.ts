export { sha256OfCid } from "./cid-digest.js";
export { type ClaimPayoutOptions, claimPayout } from "./claim-payout.js";
export { connectRpc } from "./connect-rpc.js";
export {
  type ContributorShare,
  type ContributorShareOptions,
  claimContributorRevenue,
  contributorShare,
} from "./contributor-revenue.js";
export {
  coordinatorBlobFetcher,
  coordinatorErrorMessage,
  fetchLedger,
  fetchLedgerBlob,
  fetchPayoutProof,
} from "./coordinator-ledger.js";
export { readPayoutFloors } from "./dataset-prices.js";
export {
  type ClaimRefusal,
  ClaimRefusedError,
  CoordinatorHttpError,
  CoordinatorUnreachableError,
  RecomputeInputError,
  type RevenueClaimRefusal,
  RevenueClaimRefusedError,
  RpcUnreachableError,
  TrainingJobsNotFoundError,
} from "./ledger-errors.js";
export type { AttestationCounts, Disagreement, LedgerReport, RecomputeSummary, Warning } from "./ledger-report.js";
export { fetchJobSpec, fetchValidationSet } from "./recompute-inputs.js";
export type { RecomputeScoresOptions } from "./recompute-scores.js";
export {
  JOB_STATUS,
  type JobStatusName,
  type OnChainJob,
  type OnChainRound,
  TrainingJobsReader,
  trainingJobsErrorName,
} from "./training-jobs-reader.js";
export type { FetchBlob } from "./verify-blobs.js";
export { type VerifyLedgerOptions, verifyLedger } from "./verify-ledger.js";
