import { readStoredJson, writeFileDurably } from "@tributary/inference-provider";
import { z } from "zod";

/** The most blocks one log query spans (public RPCs commonly refuse more than a few thousand). */
export const DEFAULT_BLOCK_CHUNK = 2_000;

const CursorFileSchema = z.strictObject({ version: z.literal(1), nextBlock: z.number().int().nonnegative() });

/**
 * Reads one kind of contract log from a start block up to the chain's head, in chunks of at most `chunk` blocks, and
 * remembers where it stopped, so each scan asks only for the blocks it has not read (never from genesis again). With a
 * `file`, the cursor survives restarts: it is read at `open` and written after each scan that moved it.
 */
export class EventScanner<T> {
  private constructor(
    private readonly query: (fromBlock: number, toBlock: number) => Promise<T[]>,
    private nextBlock: number,
    private readonly chunk: number,
    private readonly file: string | undefined,
  ) {}

  /**
   * A scanner from `fromBlock`, or from where the cursor `file` says it stopped when that is later (a restart resumes
   * there; an explicit later start skips ahead).
   */
  static async open<T>(
    query: (fromBlock: number, toBlock: number) => Promise<T[]>,
    options: { readonly fromBlock: number; readonly chunk?: number; readonly file?: string },
  ): Promise<EventScanner<T>> {
    const stored = options.file === undefined ? undefined : await readStoredJson(options.file, CursorFileSchema);
    const next = Math.max(options.fromBlock, stored?.nextBlock ?? 0);
    return new EventScanner(query, next, options.chunk ?? DEFAULT_BLOCK_CHUNK, options.file);
  }

  /** The first block the next scan reads. */
  get next(): number {
    return this.nextBlock;
  }

  /**
   * Hands the logs from the cursor to `head` (inclusive) to `handle`, a chunk at a time, oldest first; the cursor
   * moves past a chunk (and is written) only once `handle` is done with it, so a failure reads that chunk again.
   */
  async scan(head: number, handle: (logs: T[]) => Promise<void>): Promise<void> {
    while (this.nextBlock <= head) {
      const to = Math.min(head, this.nextBlock + this.chunk - 1);
      await handle(await this.query(this.nextBlock, to));
      this.nextBlock = to + 1;
      if (this.file !== undefined) {
        await writeFileDurably(this.file, `${JSON.stringify({ version: 1, nextBlock: this.nextBlock })}\n`);
      }
    }
  }
}
