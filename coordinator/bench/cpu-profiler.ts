import { writeFile } from "node:fs/promises";
import { Session } from "node:inspector/promises";
import { wallClockMs } from "./fleet-messages.js";
import type { CpuProfile } from "./profile-summary.js";

/**
 * Runs `work` under V8's sampling CPU profiler (this process only) and writes the `.cpuprofile` to `file` (open
 * it in Chrome DevTools). Returns the work's result, the profile, and the wall clock when profiling started.
 */
export async function profiled<T>(
  file: string,
  work: () => Promise<T>,
): Promise<{ result: T; profile: CpuProfile; startedAtMs: number }> {
  const session = new Session();
  session.connect();
  try {
    await session.post("Profiler.enable");
    await session.post("Profiler.setSamplingInterval", { interval: 500 });
    await session.post("Profiler.start");
    const startedAtMs = wallClockMs();
    const outcome = await work().then(
      (result) => ({ ok: true as const, result }),
      (error: unknown) => ({ ok: false as const, error }),
    );
    const { profile } = await session.post("Profiler.stop");
    if (!outcome.ok) throw outcome.error;
    await writeFile(file, JSON.stringify(profile));
    return { result: outcome.result, profile: profile as unknown as CpuProfile, startedAtMs };
  } finally {
    session.disconnect();
  }
}
