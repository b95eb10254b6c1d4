/** What a failed step means for the loop: try again after a backoff, or stop for good. */
export type StepFailure = "retry" | "stop";

export interface PollingLoopOptions {
  readonly pollIntervalMs: number;
  readonly maxBackoffMs: number;
}

/**
 * The background loop of the chain indexer and sender: runs `step` until stopped, waiting `pollIntervalMs`
 * between steps (none when a step returns true: more work is waiting), and after consecutive failures
 * pollIntervalMs · 2^failures, at most `maxBackoffMs`. `onError` is told each failure and the delay before the
 * retry, and may stop the loop. `wake()` cuts the current wait short; `stop()` resolves after the step in progress.
 */
export class PollingLoop {
  readonly #options: PollingLoopOptions;
  readonly #step: () => Promise<boolean>;
  readonly #onError: (error: unknown, retryInMs: number) => Promise<StepFailure> | StepFailure;
  #running = false;
  #loop: Promise<void> | undefined;
  #wake: (() => void) | undefined;

  constructor(
    options: PollingLoopOptions,
    step: () => Promise<boolean>,
    onError: (error: unknown, retryInMs: number) => Promise<StepFailure> | StepFailure,
  ) {
    this.#options = options;
    this.#step = step;
    this.#onError = onError;
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#loop = this.#run();
  }

  async stop(): Promise<void> {
    this.#running = false;
    this.#wake?.();
    await this.#loop;
  }

  wake(): void {
    this.#wake?.();
  }

  async #run(): Promise<void> {
    let failures = 0;
    while (this.#running) {
      let delay = this.#options.pollIntervalMs;
      try {
        if (await this.#step()) delay = 0;
        failures = 0;
      } catch (error) {
        failures += 1;
        delay = Math.min(this.#options.pollIntervalMs * 2 ** failures, this.#options.maxBackoffMs);
        if ((await this.#onError(error, delay)) === "stop") this.#running = false;
      }
      if (this.#running && delay > 0) await this.#sleep(delay);
    }
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.#wake = done;
    });
  }
}
