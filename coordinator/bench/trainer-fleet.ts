import { type ChildProcess, fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { FleetCommand, FleetReply, FleetRoundStats } from "./fleet-messages.js";

type Distribute<T> = T extends unknown ? Omit<T, "id"> : never;

/**
 * The parent's handle on the trainer-fleet child process (`trainer-fleet-process.ts`): every client socket of the
 * benchmark lives there, on the other core, in the same layout for the coordinator and for the raw baseline.
 */
export class TrainerFleet {
  #nextId = 0;
  readonly #pending = new Map<number, { resolve: (reply: FleetReply) => void; reject: (error: Error) => void }>();

  private constructor(private readonly child: ChildProcess) {
    child.on("message", (reply: FleetReply) => {
      const waiter = this.#pending.get(reply.id);
      this.#pending.delete(reply.id);
      if (reply.type === "error") waiter?.reject(new Error(`trainer fleet: ${reply.message}`));
      else waiter?.resolve(reply);
    });
    child.on("exit", (code) => {
      for (const waiter of this.#pending.values()) waiter.reject(new Error(`trainer fleet exited with ${code}`));
      this.#pending.clear();
    });
  }

  /** Forks the fleet with this process's loader flags (tsx, source conditions) and a larger heap. */
  static start(): TrainerFleet {
    const entry = fileURLToPath(new URL("./trainer-fleet-process.ts", import.meta.url));
    // The parent's profiling flags (`--cpu-prof…`) stay with the parent: the fleet is not what is measured.
    const flags = process.execArgv.filter((flag) => !/^--(max-old-space-size|cpu-prof)/.test(flag));
    return new TrainerFleet(fork(entry, [], { execArgv: [...flags, "--max-old-space-size=4096"], stdio: "inherit" }));
  }

  #call(command: Distribute<FleetCommand>): Promise<FleetReply> {
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.child.send({ ...command, id });
    });
  }

  async connectTrainers(url: string, count: number): Promise<string[]> {
    const reply = await this.#call({ type: "connect-trainers", url, count });
    return reply.type === "ok" ? [...(reply.datasetIds ?? [])] : [];
  }

  async runJob(jobId: string, trainers: number, params: number, rounds: number): Promise<FleetRoundStats[]> {
    const reply = await this.#call({ type: "run-job", jobId, trainers, params, rounds });
    if (reply.type !== "job-done") throw new Error(`trainer fleet answered ${reply.type}`);
    return [...reply.rounds];
  }

  async connectRaw(url: string, count: number): Promise<void> {
    await this.#call({ type: "connect-raw", url, count });
  }

  async prepareRaw(trainers: number, params: number, rounds: number): Promise<void> {
    await this.#call({ type: "prepare-raw", trainers, params, rounds });
  }

  async disconnectTrainers(): Promise<void> {
    await this.#call({ type: "disconnect-trainers" });
  }

  async disconnect(): Promise<void> {
    await this.#call({ type: "disconnect" });
  }

  /** Ends the child (closing the IPC channel makes it exit) and waits for it. */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((resolve) => this.child.once("exit", resolve));
    this.child.disconnect();
    const timer = setTimeout(() => this.child.kill(), 5000);
    await exited;
    clearTimeout(timer);
  }
}
