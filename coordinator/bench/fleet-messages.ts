/**
 * What the benchmark's parent process and its trainer-fleet child say to each other over the IPC channel. The
 * fleet hosts every client socket, so that the process under measurement (coordinator or raw socket.io server)
 * does nothing a remote trainer would do.
 */

export type FleetCommand =
  /**
   * Enrol `count` datasets over REST and log one ScriptedTrainer in per dataset, trainer i at coordinator
   * `urls[i mod urls.length]` (several replicas of one coordinator share the trainers).
   */
  | { readonly type: "connect-trainers"; readonly id: number; readonly urls: readonly string[]; readonly count: number }
  /**
   * Precompute updates, join the first `trainers` trainers to `jobId`, and answer each of the `rounds` training
   * instructions at once with a signed update (the job's final evaluation is not answered: the parent cancels it).
   */
  | {
      readonly type: "run-job";
      readonly id: number;
      readonly jobId: string;
      readonly trainers: number;
      readonly params: number;
      readonly rounds: number;
    }
  /** Connect plain socket.io clients to the raw baseline server, one per global client index in `indices`. */
  | { readonly type: "connect-raw"; readonly id: number; readonly url: string; readonly indices: readonly number[] }
  /**
   * Precompute a scenario's updates for this process's raw clients below `trainers`; they send one whenever the
   * server asks.
   */
  | {
      readonly type: "prepare-raw";
      readonly id: number;
      readonly trainers: number;
      readonly params: number;
      readonly rounds: number;
    }
  /** Disconnect the ScriptedTrainers (the raw clients stay). */
  | { readonly type: "disconnect-trainers"; readonly id: number }
  /** Disconnect every socket. */
  | { readonly type: "disconnect"; readonly id: number }
  /** The fleet's event-loop utilisation since the previous mark (0 … 1), for the raw baseline. */
  | { readonly type: "utilisation"; readonly id: number };

/** Client-side view of one training round, wall-clock milliseconds since the epoch. */
export interface FleetRoundStats {
  readonly round: number;
  readonly firstInstructionAt: number;
  readonly lastInstructionAt: number;
  readonly lastSentAt: number;
  readonly lastAckAt: number;
  /** Time the fleet spent signing the round's headers (EIP-712, after the nonce arrived), summed. */
  readonly signMs: number;
  /** The fleet process's event-loop utilisation from the round's first instruction to its last acknowledgement. */
  readonly utilisation: number;
  readonly accepted: number;
  readonly rejections: readonly string[];
}

export type FleetReply =
  | { readonly type: "ok"; readonly id: number; readonly datasetIds?: readonly string[]; readonly utilisation?: number }
  | { readonly type: "job-done"; readonly id: number; readonly rounds: readonly FleetRoundStats[] }
  | { readonly type: "error"; readonly id: number; readonly message: string };

/** Wall clock with sub-millisecond resolution, comparable between the two processes. */
export function wallClockMs(): number {
  return performance.timeOrigin + performance.now();
}
