export interface BatcherOptions {
  /** Most examples in one model call (a request is never split; a full batch runs at once). */
  readonly maxBatch: number;
  /** Longest a request waits for others to join its batch, in milliseconds. */
  readonly maxWaitMs: number;
  /** Room for a batch's input values (default: a new Float32Array); the runner takes it over. */
  readonly allocate?: (floats: number) => Float32Array;
}

/** Runs a model on `count` examples packed in `input` and returns their outputs, packed the same way. */
export type BatchRunner = (input: Float32Array, count: number) => Promise<Float32Array>;

interface Pending {
  readonly input: Float32Array;
  readonly count: number;
  resolve(result: BatchResult): void;
  reject(error: unknown): void;
}

export interface BatchResult {
  /** This request's outputs. */
  readonly outputs: Float32Array;
  /** How many examples the model call that served it held (this request's and others'). */
  readonly batchSize: number;
}

/**
 * Dynamic batching: concurrent requests are queued and run together in one model call of at most `maxBatch`
 * examples. A batch runs as soon as it is full, or `maxWaitMs` after its first request arrived; while one runs, the
 * next fills, and runs as soon as the model is free. `drain()` runs whatever waits without waiting longer.
 */
export class DynamicBatcher {
  readonly #queue: Pending[] = [];
  #queued = 0;
  #running = false;
  #timer: NodeJS.Timeout | undefined;
  #draining = false;
  #idle: (() => void)[] = [];

  constructor(
    private readonly run: BatchRunner,
    private readonly sizes: { readonly input: number; readonly output: number },
    private readonly options: BatcherOptions,
    private readonly onBatch: (examples: number, requests: number) => void = () => {},
  ) {}

  /** Examples waiting for a batch. */
  get queuedExamples(): number {
    return this.#queued;
  }

  /** Queues `count` examples (`count × sizes.input` floats); resolves with their outputs once their batch ran. */
  submit(input: Float32Array, count: number): Promise<BatchResult> {
    return new Promise<BatchResult>((resolve, reject) => {
      this.#queue.push({ input, count, resolve, reject });
      this.#queued += count;
      this.#schedule();
    });
  }

  /** Stops waiting for batches to fill: what is queued runs now; resolves once nothing is queued or running. */
  drain(): Promise<void> {
    this.#draining = true;
    this.#schedule();
    if (!this.#running && this.#queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  #schedule(): void {
    if (this.#running || this.#queue.length === 0) return;
    if (this.#draining || this.#queued >= this.options.maxBatch) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
      void this.#runBatch();
    } else {
      this.#timer ??= setTimeout(() => {
        this.#timer = undefined;
        void this.#runBatch();
      }, this.options.maxWaitMs);
    }
  }

  async #runBatch(): Promise<void> {
    if (this.#running || this.#queue.length === 0) return;
    this.#running = true;
    const batch: Pending[] = [];
    let examples = 0;
    while (this.#queue.length > 0) {
      const next = this.#queue[0] as Pending;
      if (batch.length > 0 && examples + next.count > this.options.maxBatch) break;
      batch.push(next);
      examples += next.count;
      this.#queue.shift();
    }
    this.#queued -= examples;
    try {
      const floats = examples * this.sizes.input;
      const input = this.options.allocate?.(floats) ?? new Float32Array(floats);
      let offset = 0;
      for (const item of batch) {
        input.set(item.input, offset);
        offset += item.input.length;
      }
      const output = await this.run(input, examples);
      this.onBatch(examples, batch.length);
      let from = 0;
      for (const item of batch) {
        const size = item.count * this.sizes.output;
        item.resolve({ outputs: output.slice(from, from + size), batchSize: examples });
        from += size;
      }
    } catch (error) {
      for (const item of batch) item.reject(error);
    } finally {
      this.#running = false;
      // Requests that queued while the model ran have waited already: run them now.
      if (this.#queue.length > 0) {
        clearTimeout(this.#timer);
        this.#timer = undefined;
        void this.#runBatch();
      } else {
        for (const resolve of this.#idle.splice(0)) resolve();
      }
    }
  }
}
