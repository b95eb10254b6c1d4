/**
 * Load phases against a running provider: the clients (one channel each, their vouchers signed in order before the
 * clock starts) are spread over worker threads running `load-client.ts`, so the provider's thread serves and the
 * clients send on other threads. Each phase reports throughput, the clients' latency percentiles, the model calls'
 * mean batch, how busy the provider's thread and the busiest client thread were, and so which side limited.
 */
import { cpus, loadavg } from "node:os";
import { Worker } from "node:worker_threads";
import { voucherToWire } from "@tributary/protocol";
import { hexlify, randomBytes } from "ethers";
import { perSecond, quantile, threadCpuMs } from "./bench-stats.js";
import type { LoadJob, LoadRequest, LoadResult } from "./load-client.js";
import type { FastVoucherSigner } from "./voucher-rate.js";

export interface LoadPhase {
  readonly format: "json" | "binary";
  readonly examples: number;
  readonly requestsPerClient: number;
}

export interface PhaseResult {
  readonly format: "json" | "binary";
  readonly examplesPerRequest: number;
  readonly clients: number;
  readonly requests: number;
  readonly examplesPerS: number;
  readonly requestsPerS: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly meanBatch: number;
  /** CPU time of the provider's event loop (HTTP, checks, vouchers, receipts) over the phase's wall time. */
  readonly providerThreadBusy: number;
  /** The same for the model's thread (from the provider's `/metrics`). */
  readonly modelThreadBusy: number;
  /** The same for the busiest load-generator thread. */
  readonly clientThreadBusy: number;
  /** CPU seconds the provider's process spent (all its threads but the clients'), per wall second. */
  readonly providerCores: number;
  /** Examples per CPU second of the provider's process. */
  readonly examplesPerProviderCpuS: number;
  /**
   * Which part limited the phase: a thread of ours that was busy (≥ 85 %) all along, else the machine's cores when
   * they were busy (≥ 90 %) with ours and other processes' work, else none (waiting: batching, disk).
   */
  readonly limitedBy: "provider event loop" | "model thread" | "clients" | "the machine's cores (shared)" | "none";
  /** How busy all the machine's cores were over the phase (every process), 0…1. */
  readonly machineBusy: number;
  readonly loadAverage: number;
}

/** One buyer's channel and what has been signed on it so far (vouchers are cumulative across phases). */
export interface LoadChannel {
  readonly channelId: bigint;
  signed: bigint;
}

const BUSY = 0.85;

export class ProviderLoad {
  constructor(
    private readonly url: string,
    private readonly channels: readonly LoadChannel[],
    private readonly signer: FastVoucherSigner,
    private readonly pricePerExample: bigint,
    private readonly inputShape: readonly number[],
    private readonly threads: number,
  ) {}

  /** The model thread's CPU seconds so far, as the provider's `/metrics` report them. */
  async #modelCpuS(): Promise<number> {
    const text = await (await fetch(`${this.url}/metrics`)).text();
    const match = /^tributary_provider_model_thread_cpu_seconds_total (\S+)$/m.exec(text);
    if (match === null) throw new Error("the provider's /metrics have no model thread CPU time");
    return Number(match[1]);
  }

  async run(phase: LoadPhase): Promise<PhaseResult> {
    const price = this.pricePerExample * BigInt(phase.examples);
    const perClient = this.channels.map((channel) =>
      Array.from({ length: phase.requestsPerClient + 1 }, (): LoadRequest => {
        channel.signed += price;
        const voucher = this.signer.sign(channel.channelId, channel.signed);
        return { requestId: hexlify(randomBytes(32)), payment: voucherToWire(voucher) };
      }),
    );
    const size = this.inputShape.reduce((product, axis) => product * axis, 1);
    const input = Float32Array.from({ length: phase.examples * size }, (_, index) => ((index * 37) % 255) / 255);
    const workers = Array.from({ length: this.threads }, (_, thread) => {
      const job: LoadJob = {
        url: this.url,
        format: phase.format,
        examples: phase.examples,
        inputShape: this.inputShape,
        input,
        clients: perClient.filter((_, client) => client % this.threads === thread),
      };
      return new Worker(new URL("./load-client.ts", import.meta.url), { workerData: job });
    });
    try {
      await Promise.all(workers.map((worker) => message(worker)));
      const modelCpuS = await this.#modelCpuS();
      const machine = machineTimes();
      const processCpu = process.cpuUsage();
      const mainCpu = process.threadCpuUsage();
      const start = performance.now();
      const results = workers.map((worker) => message<LoadResult>(worker));
      for (const worker of workers) worker.postMessage("go");
      const done = await Promise.all(results);
      const wallMs = performance.now() - start;
      const providerThreadMs = threadCpuMs(mainCpu);
      const machineUsed = machineTimes(machine);
      const machineBusy = machineUsed.busy / machineUsed.total;
      const modelThreadBusy = ((await this.#modelCpuS()) - modelCpuS) / (wallMs / 1000);
      const processUsed = process.cpuUsage(processCpu);
      const clientCpuMs = done.reduce((total, result) => total + result.cpuMs, 0);
      const providerCpuMs = (processUsed.user + processUsed.system) / 1000 - clientCpuMs;
      const latencies = Float64Array.from(done.flatMap((result) => Array.from(result.latenciesMs)));
      const requests = latencies.length;
      const providerThreadBusy = providerThreadMs / wallMs;
      const clientThreadBusy = Math.max(...done.map((result) => result.cpuMs / result.wallMs));
      return {
        format: phase.format,
        examplesPerRequest: phase.examples,
        clients: this.channels.length,
        requests,
        examplesPerS: perSecond(requests * phase.examples, wallMs),
        requestsPerS: perSecond(requests, wallMs),
        p50Ms: quantile(latencies, 0.5),
        p99Ms: quantile(latencies, 0.99),
        meanBatch: round(done.reduce((total, result) => total + result.batchSum, 0) / requests),
        providerThreadBusy: round(providerThreadBusy),
        modelThreadBusy: round(modelThreadBusy),
        clientThreadBusy: round(clientThreadBusy),
        providerCores: round(providerCpuMs / wallMs),
        examplesPerProviderCpuS: perSecond(requests * phase.examples, providerCpuMs),
        limitedBy:
          providerThreadBusy >= BUSY
            ? "provider event loop"
            : modelThreadBusy >= BUSY
              ? "model thread"
              : clientThreadBusy >= BUSY
                ? "clients"
                : machineBusy >= 0.9
                  ? "the machine's cores (shared)"
                  : "none",
        machineBusy: round(machineBusy),
        loadAverage: round(loadavg()[0] ?? 0),
      };
    } finally {
      await Promise.all(workers.map((worker) => worker.terminate()));
    }
  }
}

/** Busy and total time of all the machine's cores (every process), since `since`, in milliseconds. */
function machineTimes(since = { busy: 0, total: 0 }): { busy: number; total: number } {
  let busy = 0;
  let total = 0;
  for (const { times } of cpus()) {
    busy += times.user + times.nice + times.sys + times.irq;
    total += times.user + times.nice + times.sys + times.irq + times.idle;
  }
  return { busy: busy - since.busy, total: total - since.total };
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}

/** The worker's next message; rejects on its error or early exit. */
function message<T = unknown>(worker: Worker): Promise<T> {
  return new Promise((resolve, reject) => {
    const cleanup = () => {
      worker.off("message", onMessage);
      worker.off("error", reject);
      worker.off("exit", onExit);
    };
    const onMessage = (value: T) => {
      cleanup();
      resolve(value);
    };
    const onExit = (code: number) => {
      cleanup();
      reject(new Error(`load client exited with ${code}`));
    };
    worker.on("message", onMessage);
    worker.on("error", reject);
    worker.on("exit", onExit);
  });
}
