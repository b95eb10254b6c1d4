import type { Address, JobId } from "@tributary/protocol";
import type { TypedDataDomain } from "ethers";
import { CommunicationGraph } from "./communication-graph.js";

/** What both ends of a SecAgg+ round know before it starts (from the round's instruction). */
export interface SecAggRoundContext {
  readonly jobId: JobId;
  readonly round: number;
  /** The job's Tributary EIP-712 domain (the chain and TrainingJobs), under which trainers sign. */
  readonly domain: TypedDataDomain;
  /** The trainers selected for the round, in the order the round lists them (which fixes Shamir x-coordinates). */
  readonly participants: readonly Address[];
  /** Shares needed to reconstruct a secret (t). */
  readonly threshold: number;
  /** Neighbours of each trainer (k, even). */
  readonly neighbours: number;
  /** Words in each trainer's vector. */
  readonly length: number;
}

/** The round's communication graph: seeded by the job and round, so both ends derive the same one. */
export function roundGraph(context: SecAggRoundContext): CommunicationGraph {
  return new CommunicationGraph(context.participants, context.neighbours, `${context.jobId}:${context.round}`);
}

/** HKDF purposes and AEAD associated data, bound to the job and round. */
export const purposes = {
  mask: (context: SecAggRoundContext) => `mask:${context.jobId}:${context.round}`,
  shares: (context: SecAggRoundContext) => `shares:${context.jobId}:${context.round}`,
  aad: (context: SecAggRoundContext, from: Address, to: Address) => `${context.jobId}:${context.round}:${from}:${to}`,
};

/** +1 when `self` adds the pairwise mask it shares with `peer`, −1 when it subtracts it (the lower address adds). */
export function pairSign(self: Address, peer: Address): 1 | -1 {
  return self < peer ? 1 : -1;
}
