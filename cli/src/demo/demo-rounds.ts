import type { TrainerProcess } from "./trainer-processes.js";

/** Polls `check` until true; rejects after `timeoutMs`, or as soon as a trainer agent process exits. */
export async function waitFor(
  check: () => boolean,
  timeoutMs: number,
  what: string,
  trainers: TrainerProcess[],
): Promise<void> {
  const started = Date.now();
  while (!check()) {
    if (trainers.some((t) => t.exitedCode !== undefined))
      throw new Error(`a trainer agent exited while waiting for ${what}`);
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
