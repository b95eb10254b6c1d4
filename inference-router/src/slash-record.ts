import type { ModelRegistry } from "@tributary/contracts/typed";
import { parseVerificationOutcomeEvent } from "@tributary/protocol";
import type { Result } from "ethers";

/** The most blocks one log query spans (public RPCs commonly refuse more than a few thousand). */
export const SLASH_BLOCK_CHUNK = 2_000;

/**
 * How many disputes each listing lost: ModelRegistry's `ModelSlashed` events, read from `fromBlock` (the deployment's
 * start) up to the chain's head in chunks of at most `chunk` blocks, then at each `update` only the blocks since the
 * last one. A listing's reputation on ModelRegistry stops falling at zero, so a new listing and one that lost
 * disputes look alike there; the slashes tell them apart.
 */
export class SlashRecord {
  readonly #counts = new Map<bigint, number>();
  #next: number;
  #reading: Promise<void> = Promise.resolve();

  constructor(
    private readonly registry: ModelRegistry,
    fromBlock: number,
    private readonly chunk = SLASH_BLOCK_CHUNK,
  ) {
    this.#next = fromBlock;
  }

  /** Lost disputes of listing `modelId` in the blocks read so far. */
  slashesOf(modelId: bigint): number {
    return this.#counts.get(modelId) ?? 0;
  }

  /** Reads the blocks not read yet up to the head, one read at a time; a failed chunk is read again next time. */
  update(): Promise<void> {
    const read = () => this.#read();
    this.#reading = this.#reading.then(read, read);
    return this.#reading;
  }

  async #read(): Promise<void> {
    const provider = this.registry.runner?.provider;
    if (provider === undefined || provider === null) throw new TypeError("ModelRegistry is not connected to a chain");
    const head = await provider.getBlockNumber();
    const filter = this.registry.filters.ModelSlashed();
    while (this.#next <= head) {
      const to = Math.min(head, this.#next + this.chunk - 1);
      const logs = await this.registry.queryFilter(filter, this.#next, to);
      for (const log of logs) {
        const { modelId } = parseVerificationOutcomeEvent("ModelSlashed", (log.args as unknown as Result).toObject());
        this.#counts.set(modelId, this.slashesOf(modelId) + 1);
      }
      this.#next = to + 1;
    }
  }
}
