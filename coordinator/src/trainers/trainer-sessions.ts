import { Injectable } from "@nestjs/common";
import type { Socket } from "socket.io";
import type { InstructionSender } from "../rounds/instruction-sender.js";

/** A logged-in trainer connection. */
export interface TrainerSession {
  readonly address: string;
  readonly datasetId: string;
  readonly socket: Socket;
}

/**
 * Who is online right now (in memory: a connection does not survive a restart, trainers reconnect). The
 * database holds everything that must survive; this holds only live sockets. It is what the rounds' and jobs'
 * ports (`INSTRUCTION_SENDER`, `JOB_ANNOUNCER`) send through.
 */
@Injectable()
export class TrainerSessions implements InstructionSender {
  readonly #byAddress = new Map<string, TrainerSession>();

  add(session: TrainerSession): void {
    const previous = this.#byAddress.get(session.address);
    if (previous !== undefined && previous.socket.id !== session.socket.id) previous.socket.disconnect(true);
    this.#byAddress.set(session.address, session);
  }

  remove(socketId: string): TrainerSession | undefined {
    for (const [address, session] of this.#byAddress) {
      if (session.socket.id === socketId) {
        this.#byAddress.delete(address);
        return session;
      }
    }
    return undefined;
  }

  get(address: string): TrainerSession | undefined {
    return this.#byAddress.get(address);
  }

  isOnline(address: string): boolean {
    return this.#byAddress.has(address);
  }

  online(): string[] {
    return [...this.#byAddress.keys()];
  }

  /** Sends an event to every online trainer serving one of `datasetIds`. */
  sendToDatasets(datasetIds: readonly string[], event: string, ...payload: unknown[]): void {
    const wanted = new Set(datasetIds);
    for (const session of this.#byAddress.values())
      if (wanted.has(session.datasetId)) session.socket.emit(event, ...payload);
  }

  /** Sends an event to a trainer if it is online; returns whether it was sent. */
  send(address: string, event: string, ...payload: unknown[]): boolean {
    const session = this.#byAddress.get(address);
    if (session === undefined) return false;
    session.socket.emit(event, ...payload);
    return true;
  }
}
