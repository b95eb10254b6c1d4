import { type ChildProcess, fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { FleetCommand, FleetReply, FleetRoundStats } from "./fleet-messages.js";

type Distribute<T> = T extends unknown ? Omit<T, "id"> : never;

/** One trainer-fleet child process (`trainer-fleet-process.ts`) and its pending requests. */
class FleetChild {
  #nextId = 0;
  readonly #pending = new Map<number, { resolve: (reply: FleetReply) => void; reject: (error: Error) => void }>();

  constructor(readonly process: ChildProcess) {
    process.on("message", (reply: FleetReply) => {
      const waiter = this.#pending.get(reply.id);
      this.#pending.delete(reply.id);
      if (reply.type === "error") waiter?.reject(new Error(`trainer fleet: ${reply.message}`));
      else waiter?.resolve(reply);
    });
    process.on("exit", (code) => {
      for (const waiter of this.#pending.values()) waiter.reject(new Error(`trainer fleet exited with ${code}`));
      this.#pending.clear();
    });
  }

  call(command: Distribute<FleetCommand>): Promise<FleetReply> {
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.process.send({ ...command, id });
    });
  }

  async stop(): Promise<void> {
    const child = this.process;
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.disconnect();
    const timer = setTimeout(() => child.kill(), 5000);
    await exited;
    clearTimeout(timer);
  }
}

/**
 * The parent's handle on the trainer fleet: `processes` child processes (`trainer-fleet-process.ts`) sharing every
 * client socket of the benchmark, trainer i in child i mod `processes`, in the same layout for the coordinator and
 * for the raw baseline. Several processes, so that the fleet's side (socket.io clients, signing) is not what limits
 * a round; each reports its event-loop utilisation, which says whether it was.
 */
export class TrainerFleet {
  private constructor(private readonly children: readonly FleetChild[]) {}

  /** Forks the fleet with this process's loader flags (tsx, source conditions) and a larger heap. */
  static start(processes: number): TrainerFleet {
    const entry = fileURLToPath(new URL("./trainer-fleet-process.ts", import.meta.url));
    // The parent's profiling and young-generation flags (`--cpu-prof…`, `--max-semi-space-size`) stay with the
    // parent: the fleet is not what is measured.
    const flags = process.execArgv.filter((flag) => !/^--(max-old-space-size|max-semi-space-size|cpu-prof)/.test(flag));
    return new TrainerFleet(
      Array.from(
        { length: processes },
        () => new FleetChild(fork(entry, [], { execArgv: [...flags, "--max-old-space-size=4096"], stdio: "inherit" })),
      ),
    );
  }

  get processes(): number {
    return this.children.length;
  }

  /** How many of the first `count` trainers child `k` holds. */
  #share(count: number, k: number): number {
    return Math.max(0, Math.ceil((count - k) / this.children.length));
  }

  /**
   * Enrols and logs in `count` trainers, spread over the coordinator replicas at `urls`; their dataset ids in
   * trainer order (trainer i = child i mod n).
   */
  async connectTrainers(urls: string | readonly string[], count: number): Promise<string[]> {
    const list = typeof urls === "string" ? [urls] : urls;
    const replies = await Promise.all(
      this.children.map((child, k) =>
        child.call({ type: "connect-trainers", urls: list, count: this.#share(count, k) }),
      ),
    );
    const perChild = replies.map((reply) => (reply.type === "ok" ? [...(reply.datasetIds ?? [])] : []));
    return Array.from(
      { length: count },
      (_, i) => perChild[i % this.children.length]?.[Math.floor(i / this.children.length)] as string,
    );
  }

  /** Runs a job with its first `trainers` trainers; per round, the children's statistics merged. */
  async runJob(jobId: string, trainers: number, params: number, rounds: number): Promise<FleetRoundStats[]> {
    const replies = await Promise.all(
      this.children.map((child, k) =>
        child.call({ type: "run-job", jobId, trainers: this.#share(trainers, k), params, rounds }),
      ),
    );
    const perChild = replies.map((reply) => {
      if (reply.type !== "job-done") throw new Error(`trainer fleet answered ${reply.type}`);
      return reply.rounds;
    });
    return Array.from({ length: rounds }, (_, round) => {
      const rows = perChild.map((stats) => stats[round] as FleetRoundStats);
      return {
        round,
        firstInstructionAt: Math.min(...rows.map((row) => row.firstInstructionAt)),
        lastInstructionAt: Math.max(...rows.map((row) => row.lastInstructionAt)),
        lastSentAt: Math.max(...rows.map((row) => row.lastSentAt)),
        lastAckAt: Math.max(...rows.map((row) => row.lastAckAt)),
        signMs: rows.reduce((sum, row) => sum + row.signMs, 0),
        accepted: rows.reduce((sum, row) => sum + row.accepted, 0),
        rejections: rows.flatMap((row) => row.rejections),
        utilisation: Math.max(...rows.map((row) => row.utilisation)),
      };
    });
  }

  /** Connects `count` raw clients, client i in child i mod n. */
  async connectRaw(url: string, count: number): Promise<void> {
    const n = this.children.length;
    await Promise.all(
      this.children.map((child, k) =>
        child.call({
          type: "connect-raw",
          url,
          indices: Array.from({ length: this.#share(count, k) }, (_, j) => k + j * n),
        }),
      ),
    );
  }

  async prepareRaw(trainers: number, params: number, rounds: number): Promise<void> {
    await Promise.all(this.children.map((child) => child.call({ type: "prepare-raw", trainers, params, rounds })));
  }

  /** The busiest child's event-loop utilisation since the previous call. */
  async utilisation(): Promise<number> {
    const replies = await Promise.all(this.children.map((child) => child.call({ type: "utilisation" })));
    return Math.max(...replies.map((reply) => (reply.type === "ok" ? (reply.utilisation ?? 0) : 0)));
  }

  async disconnectTrainers(): Promise<void> {
    await Promise.all(this.children.map((child) => child.call({ type: "disconnect-trainers" })));
  }

  async disconnect(): Promise<void> {
    await Promise.all(this.children.map((child) => child.call({ type: "disconnect" })));
  }

  /** Ends the children (closing the IPC channel makes each exit) and waits for them. */
  async stop(): Promise<void> {
    await Promise.all(this.children.map((child) => child.stop()));
  }
}
