import {
  clipUpdate,
  DiscreteGaussianSampler,
  distributedNoiseShare,
  quantisedSensitivity,
  SecureRandom,
} from "@tributary/privacy";
import {
  type JobId,
  SECAGG_SUM_BOUND,
  type SecAggInstruction,
  type SecAggNeighbourKeys,
  type SecAggSharesDelivery,
  type SecAggStage,
  type SecAggUnmaskRequest,
} from "@tributary/protocol";
import { quantise, type SecAggClient, SecAggRefusedError } from "@tributary/secure-aggregation";
import type { RoundPrivacy } from "./privacy-guard.js";

/**
 * A trainer's input to a SecAgg round: its update clipped per coordinate to ±clip, weighted by
 * n / exampleCap (≤ 1, so it stays within ±clip) and quantised at `scale` into words modulo 2^32. The coordinator
 * divides the survivors' sum by Σ n / exampleCap, which makes it their FedAvg.
 *
 * With DP on (`distributed`), the update is first clipped to L2 norm C, and after quantisation the trainer adds its
 * share of the sum's noise: discrete Gaussian of σ_share = z · Δ / √m_min per word, Δ = scale · C + √d / 2 the
 * quantised vector's L2 bound (privacy's `distributedNoiseShare`), drawn from the OS CSPRNG. The weighting and the
 * per-coordinate clip only shrink the vector, so Δ still bounds it.
 */
export function secAggInput(
  update: Float32Array,
  numExamples: number,
  instruction: SecAggInstruction,
  distributed?: RoundPrivacy["distributed"],
): Uint32Array {
  const { clip, scale, exampleCap } = instruction;
  if (numExamples > exampleCap) {
    throw new SecAggRefusedError(`${numExamples} examples exceed the round's example cap ${exampleCap}`);
  }
  const weight = numExamples / exampleCap;
  const weighted = Float32Array.from(update);
  if (distributed !== undefined) clipUpdate(weighted, distributed.clipNorm);
  for (let i = 0; i < weighted.length; i++) {
    const value = weighted[i] as number;
    weighted[i] = (value > clip ? clip : value < -clip ? -clip : Number.isNaN(value) ? 0 : value) * weight;
  }
  const words = quantise(weighted, clip, scale);
  if (distributed === undefined) return words;
  const sensitivity = quantisedSensitivity(distributed.clipNorm, scale, words.length);
  let shareSigma: number;
  try {
    ({ shareSigma } = distributedNoiseShare(distributed.noiseMultiplier, sensitivity, distributed.minSurvivors));
  } catch (error) {
    throw new SecAggRefusedError(`no noise share can be drawn: ${(error as Error).message}`);
  }
  // The noisy sum must still decode from 32 bits: m inputs of |x| ≤ clip·scale + ½ plus noise of sd σ_share·√m,
  // with 8 sd of room (a wrap-around would turn the model into garbage silently).
  const m = instruction.participants.length;
  if (m * (clip * scale + 0.5) + 8 * shareSigma * Math.sqrt(m) > SECAGG_SUM_BOUND) {
    throw new SecAggRefusedError(
      `the round's quantisation scale ${scale} leaves no room in 32 bits for the DP noise (σ_share ${shareSigma.toFixed(0)} steps, ${m} trainers): the job needs a smaller secureAggregation.quantisation.scale`,
    );
  }
  const sampler = new DiscreteGaussianSampler(shareSigma);
  const random = new SecureRandom();
  for (let i = 0; i < words.length; i++) words[i] = ((words[i] as number) + sampler.sample(random)) >>> 0;
  return words;
}

/** How a session talks to the coordinator (through the agent's outbox) and reports what happened. */
export interface SecAggSessionLink {
  /** Sends a signed stage message; resolves once the coordinator acknowledged it. */
  send(stage: SecAggStage, message: object): Promise<void>;
  /** Sends the masked words as the round's signed update. */
  sendMasked(bytes: Uint8Array): Promise<void>;
  /** The session refused to go on (a coordinator asking for what would expose a trainer, a forged key…). */
  refused(error: SecAggRefusedError): void;
}

/**
 * The trainer's side of one round's SecAgg+ instance, after training: the input is ready, the client answers each
 * coordinator message in turn. A message that the client refuses (`SecAggRefusedError`) ends the session: nothing
 * more is sent for the round.
 */
export class SecAggSession {
  #ended = false;

  constructor(
    private readonly client: SecAggClient,
    private readonly words: Uint32Array,
    private readonly link: SecAggSessionLink,
  ) {}

  start(): Promise<void> {
    return this.#step(async () => this.link.send("advertise-keys", await this.client.advertiseKeys()));
  }

  onNeighbourKeys(message: SecAggNeighbourKeys): Promise<void> {
    return this.#step(async () => this.link.send("share-keys", await this.client.shareKeys(message)));
  }

  onShares(message: SecAggSharesDelivery): Promise<void> {
    return this.#step(async () => {
      const { bytes } = await this.client.maskInput(message, this.words);
      await this.link.sendMasked(bytes);
    });
  }

  onUnmask(message: SecAggUnmaskRequest): Promise<void> {
    return this.#step(async () => this.link.send("unmasking", await this.client.unmask(message)));
  }

  async #step(step: () => Promise<void>): Promise<void> {
    if (this.#ended) return;
    try {
      await step();
    } catch (error) {
      if (!(error instanceof SecAggRefusedError)) throw error;
      this.#ended = true;
      this.link.refused(error);
    }
  }
}

/** The agent's open SecAgg sessions, by job and round; at most `MAX_SESSIONS` (the oldest is dropped). */
export class SecAggSessions {
  readonly #sessions = new Map<string, SecAggSession>();

  add(jobId: JobId, round: number, session: SecAggSession): void {
    this.#sessions.set(`${jobId}:${round}`, session);
    for (const key of this.#sessions.keys()) {
      if (this.#sessions.size <= MAX_SESSIONS) break;
      this.#sessions.delete(key);
    }
  }

  get(message: { jobId: string; round: number }): SecAggSession | undefined {
    return this.#sessions.get(`${message.jobId}:${message.round}`);
  }
}

const MAX_SESSIONS = 64;
