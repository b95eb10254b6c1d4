import type { JobAnnouncer } from "../jobs/job-announcer.js";

/**
 * The port through which rounds reach trainers: who is online, and sending one trainer its instruction. The
 * trainer gateway implements it (with the live sockets); rounds only know this token, so `rounds/` never imports
 * the gateway.
 */
export interface InstructionSender extends JobAnnouncer {
  isOnline(trainer: string): boolean;
  /** Sends an event to a trainer if it is online; returns whether it was sent. */
  send(trainer: string, event: string, ...payload: unknown[]): boolean;
}

export const INSTRUCTION_SENDER = Symbol("INSTRUCTION_SENDER");
