import type {
  JobId,
  SecAggInstruction,
  SecAggNeighbourKeys,
  SecAggSharesDelivery,
  SecAggStage,
  SecAggUnmaskRequest,
} from "@tributary/protocol";
import { quantise, type SecAggClient, SecAggRefusedError } from "@tributary/secure-aggregation";

/**
 * A trainer's input to a SecAgg round: its update clipped per coordinate to ±clip, weighted by
 * n / exampleCap (≤ 1, so it stays within ±clip) and quantised at `scale` into words modulo 2^32. The coordinator
 * divides the survivors' sum by Σ n / exampleCap, which makes it their FedAvg.
 */
export function secAggInput(update: Float32Array, numExamples: number, instruction: SecAggInstruction): Uint32Array {
  const { clip, scale, exampleCap } = instruction;
  if (numExamples > exampleCap) {
    throw new SecAggRefusedError(`${numExamples} examples exceed the round's example cap ${exampleCap}`);
  }
  const weight = numExamples / exampleCap;
  const weighted = new Float32Array(update.length);
  for (let i = 0; i < update.length; i++) {
    const value = update[i] as number;
    weighted[i] = (value > clip ? clip : value < -clip ? -clip : Number.isNaN(value) ? 0 : value) * weight;
  }
  return quantise(weighted, clip, scale);
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
