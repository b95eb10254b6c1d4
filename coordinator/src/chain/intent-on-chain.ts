import type { Interface } from "ethers";
import type { ChainClient } from "./chain-client.js";
import { isRevert } from "./chain-errors.js";
import type { ChainIntent, RecordAttestationArgs } from "./chain-intent.js";

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

/** The contract an intent calls (TrainingJobs, or AttestationRegistry for a record) and its ABI, to decode reverts. */
export function intentTarget(client: ChainClient, intent: ChainIntent): { address: string; abi: Interface } {
  if (intent.kind !== "recordAttestation") {
    return { address: client.trainingJobs.address, abi: client.trainingJobs.contract.interface };
  }
  const registry = client.attestationRegistry;
  if (registry === undefined) throw new TypeError("a recordAttestation intent needs chain.attestationRegistry");
  return { address: registry.address, abi: registry.contract.interface };
}

/** The calldata of the intent's call. */
export async function intentCalldata(client: ChainClient, intent: ChainIntent): Promise<string> {
  if (intent.kind === "recordAttestation") {
    const { signer, kind, measurement, attestationHash, expiry } = intent.args;
    const registry = client.attestationRegistry?.contract;
    if (registry === undefined) throw new TypeError("a recordAttestation intent needs chain.attestationRegistry");
    return (
      await registry.recordAttestation.populateTransaction(signer, kind, measurement, attestationHash, BigInt(expiry))
    ).data;
  }
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
 * finalisation, `getAttestation` for a record) at
 * the latest block: the check the sender makes before every first send and every resend, so an effect that
 * already happened (a crash after broadcasting, a lost record) is recognised instead of sent again. Reverts (an
 * unknown job) propagate.
 */
export async function intentOnChain(client: ChainClient, intent: ChainIntent): Promise<IntentOnChain> {
  if (intent.kind === "recordAttestation") return attestationOnChain(client, intent.args);
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

/**
 * A record is done when the registry holds this very document for the signer; a record of another document that
 * lasts at least as long supersedes it (a later attestation of the same key); anything else is still to be sent.
 */
async function attestationOnChain(client: ChainClient, args: RecordAttestationArgs): Promise<IntentOnChain> {
  const registry = client.attestationRegistry?.contract;
  if (registry === undefined) throw new TypeError("a recordAttestation intent needs chain.attestationRegistry");
  let record: Awaited<ReturnType<typeof registry.getAttestation>>;
  try {
    record = await registry.getAttestation(args.signer);
  } catch (error) {
    if (isRevert(error)) return { state: "not-yet" }; // AttestationRegistryNoAttestation: nothing recorded yet
    throw error;
  }
  if (record.attestationHash.toLowerCase() === args.attestationHash) return { state: "done" };
  if (record.expiry >= BigInt(args.expiry)) {
    return {
      state: "conflict",
      name: "AttestationSuperseded",
      args: [args.signer, record.attestationHash.toLowerCase(), String(record.expiry)],
    };
  }
  return { state: "not-yet" };
}
