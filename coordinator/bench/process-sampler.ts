import { type EventLoopUtilization, performance } from "node:perf_hooks";
import { wallClockMs } from "./fleet-messages.js";

interface Sample {
  readonly atMs: number;
  readonly cpuUs: number;
  readonly elu: EventLoopUtilization;
}

/**
 * Samples this process's CPU time (all threads) and event-loop utilisation every 50 ms, so that both can be
 * read afterwards for a window known only later (a job's rounds, from their rows' `started_at` to `finished_at`),
 * without the setup around it (trainers joining, the job being read back).
 */
export class ProcessSampler {
  readonly #samples: Sample[] = [];
  readonly #timer: NodeJS.Timeout;

  constructor(everyMs = 50) {
    this.#sample();
    this.#timer = setInterval(() => this.#sample(), everyMs);
  }

  #sample(): void {
    const { user, system } = process.cpuUsage();
    this.#samples.push({ atMs: wallClockMs(), cpuUs: user + system, elu: performance.eventLoopUtilization() });
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#sample();
  }

  /** CPU milliseconds and event-loop utilisation between the last sample at or before `fromMs` and the first at or after `toMs`. */
  between(fromMs: number, toMs: number): { cpuMs: number; wallMs: number; utilisation: number } {
    const first = this.#samples.findLast((sample) => sample.atMs <= fromMs) ?? this.#samples[0];
    const last = this.#samples.find((sample) => sample.atMs >= toMs) ?? this.#samples.at(-1);
    if (first === undefined || last === undefined) throw new Error("no samples");
    return {
      cpuMs: (last.cpuUs - first.cpuUs) / 1000,
      wallMs: last.atMs - first.atMs,
      utilisation: performance.eventLoopUtilization(last.elu, first.elu).utilization,
    };
  }
}
