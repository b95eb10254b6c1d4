import type { ChainClient } from "./chain-client.js";
import type { ChainIntent } from "./chain-intent.js";

/** What the chain already says about an intent's effect. */
export type IntentOnChain =
  | { readonly state: "done" }
  | { readonly state: "not-yet" }
  /** The chain holds another value for the same slot: sending can never succeed. */
  | { readonly state: "conflict"; readonly name: string; readonly args: string[] };

const ZERO = `0x${"0".repeat(64)}`;
/** `ITrainingJobs.JobStatus.Finalized`. */
const FINALIZED = 3n;
/** `ITrainingJobs.JobStatus.Open`. */
const OPEN = 1n;
const STATUS_NAMES = ["None", "Open", "Running", "Finalized", "Cancelled"];

/** The calldata of the intent's TrainingJobs call. */
export async function intentCalldata(client: ChainClient, intent: ChainIntent): Promise<string> {
  const jobs = client.trainingJobs.contract;
  if (intent.kind === "acceptJob") return (await jobs.acceptJob.populateTransaction(BigInt(intent.args.jobId))).data;
  if (intent.kind === "anchorRound") {
    const { jobId, round, updatesRoot, modelHash } = intent.args;
    return (await jobs.anchorRound.populateTransaction(BigInt(jobId), BigInt(round), updatesRoot, modelHash)).data;
  }
  const { jobId, payoutRoot, payoutTotal } = intent.args;
  return (await jobs.finalizeJob.populateTransaction(BigInt(jobId), payoutRoot, BigInt(payoutTotal))).data;
}

/**
 * Reads the contract's state for the intent's slot (`getRound` for an anchor, `getJob` for an acceptance or a
 * finalisation) at
 * the latest block: the check the sender makes before every first send and every resend, so an effect that
 * already happened (a crash after broadcasting, a lost record) is recognised instead of sent again. Reverts (an
 * unknown job) propagate.
 */
export async function intentOnChain(client: ChainClient, intent: ChainIntent): Promise<IntentOnChain> {
  const jobs = client.trainingJobs.contract;
  if (intent.kind === "acceptJob") {
    const job = await jobs.getJob(BigInt(intent.args.jobId));
    if (job.accepted) return { state: "done" };
    if (job.status === OPEN) return { state: "not-yet" };
    // Cancelled (or otherwise moved on) before the acceptance landed: it can never be accepted.
    const status = STATUS_NAMES[Number(job.status)] ?? String(job.status);
    return { state: "conflict", name: "JobNoLongerOpen", args: [intent.args.jobId, status] };
  }
  if (intent.kind === "anchorRound") {
    const { jobId, round, updatesRoot, modelHash } = intent.args;
    const anchor = await jobs.getRound(BigInt(jobId), BigInt(round));
    const [root, hash] = [anchor.updatesRoot.toLowerCase(), anchor.modelHash.toLowerCase()];
    if (root === ZERO && hash === ZERO) return { state: "not-yet" };
    if (root === updatesRoot && hash === modelHash) return { state: "done" };
    return { state: "conflict", name: "RoundAnchoredWithOtherValues", args: [jobId, String(round), root, hash] };
  }
  const { jobId, payoutRoot, payoutTotal } = intent.args;
  const job = await jobs.getJob(BigInt(jobId));
  if (job.status !== FINALIZED) return { state: "not-yet" };
  const [root, total] = [job.payoutRoot.toLowerCase(), job.payoutTotal.toString()];
  if (root === payoutRoot && total === payoutTotal) return { state: "done" };
  return { state: "conflict", name: "JobFinalizedWithOtherPayout", args: [jobId, root, total] };
}
