import { TributaryError } from "@tributary/protocol";

/** The coordinator answered with an HTTP error: its status and the message its error body carried. */
export class CoordinatorHttpError extends TributaryError {
  readonly status: number;

  constructor(url: string, status: number, message: string, method = "GET") {
    super("COORDINATOR_HTTP", `${method} ${url} answered ${status}: ${message}`, { details: { url, status, method } });
    this.status = status;
  }
}

/** The coordinator could not be reached at all (refused, reset, timed out, not HTTP). */
export class CoordinatorUnreachableError extends TributaryError {
  constructor(url: string, cause: unknown) {
    super("COORDINATOR_UNREACHABLE", `cannot reach the coordinator at ${url}: ${reason(cause)}`, {
      details: { url },
      cause,
    });
  }
}

/** The JSON-RPC endpoint could not be reached or did not answer `eth_chainId`. */
export class RpcUnreachableError extends TributaryError {
  constructor(url: string, cause: unknown) {
    super("RPC_UNREACHABLE", `cannot reach the JSON-RPC endpoint ${url}: ${reason(cause)}`, {
      details: { url },
      cause,
    });
  }
}

/** No contract is deployed at the TrainingJobs address given (wrong address, or another chain). */
export class TrainingJobsNotFoundError extends TributaryError {
  constructor(address: string, chainId: bigint) {
    super(
      "TRAINING_JOBS_NOT_FOUND",
      `no contract at ${address} on chain ${chainId}: is this the TrainingJobs address?`,
      {
        details: { address, chainId: String(chainId) },
      },
    );
  }
}

/** Why `claimPayout` refused to send a claim (each one a state the claim would revert in, or a bad proof). */
export type ClaimRefusal =
  | "unknown-job"
  | "not-finalized"
  | "claim-period-over"
  | "already-claimed"
  | "no-payout"
  | "invalid-proof"
  | "reverted";

/** `claimPayout` refused before sending, or the contract reverted the claim with a known error. */
export class ClaimRefusedError extends TributaryError {
  readonly reason: ClaimRefusal;

  constructor(reason: ClaimRefusal, message: string, details: Record<string, unknown> = {}, cause?: unknown) {
    super("CLAIM_REFUSED", message, { details: { reason, ...details }, cause });
    this.reason = reason;
  }
}

function reason(cause: unknown): string {
  if (cause instanceof Error) {
    // fetch's "fetch failed" says why only in its cause: a system error code, or a message ("bad port").
    const inner = (cause as { cause?: unknown }).cause as { code?: unknown; message?: unknown } | undefined;
    const why = typeof inner?.code === "string" ? inner.code : inner?.message;
    return typeof why === "string" && why.length > 0 ? `${cause.message} (${why})` : cause.message;
  }
  return String(cause);
}

/** What `--recompute-scores` needs (the job spec, the validation set) cannot be had, or is not what it must be. */
export class RecomputeInputError extends TributaryError {
  constructor(message: string, details: Record<string, unknown> = {}, cause?: unknown) {
    super("RECOMPUTE_INPUT", message, { details, cause });
  }
}

/** Why a contributor's share of a model's licence revenue was not claimed. */
export type RevenueClaimRefusal =
  | "unknown-model"
  | "no-job"
  | "no-payout"
  | "invalid-proof"
  | "nothing-to-claim"
  | "reverted";

/** `contributorShare` or `claimContributorRevenue` refused, or ModelRegistry reverted the claim with a known error. */
export class RevenueClaimRefusedError extends TributaryError {
  readonly reason: RevenueClaimRefusal;

  constructor(reason: RevenueClaimRefusal, message: string, details: Record<string, unknown> = {}, cause?: unknown) {
    super(`REVENUE_${reason.toUpperCase().replaceAll("-", "_")}`, message, { details: { reason, ...details }, cause });
    this.reason = reason;
  }
}
