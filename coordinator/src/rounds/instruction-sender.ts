import type { JobAnnouncer } from "../jobs/job-announcer.js";

/**
 * The port through which rounds reach trainers: who is online, sending one trainer its instruction, and asking the
 * replica that drives a job to look at it now. The trainer gateway implements it (with the live sockets, and with
 * several replicas through Redis); rounds only know this token, so `rounds/` never imports the gateway.
 */
export interface InstructionSender extends JobAnnouncer {
  /** Which of these trainers are connected now, to this replica or (scaled out) to any other. */
  onlineAmong(trainers: readonly string[]): Promise<Set<string>>;
  /** Sends an event to a trainer wherever it is connected; nothing when it is offline. */
  send(trainer: string, event: string, ...payload: unknown[]): void;
  /** Asks the other replicas to advance `jobId` now: the one driving it does (nothing when there is one process). */
  nudge(jobId: string): void;
}

export const INSTRUCTION_SENDER = Symbol("INSTRUCTION_SENDER");
