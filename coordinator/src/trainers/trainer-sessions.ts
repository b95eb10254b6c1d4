import { Inject, Injectable, Logger } from "@nestjs/common";
import type { Server, Socket } from "socket.io";
import type { InstructionSender } from "../rounds/instruction-sender.js";
import { TrainerPresence } from "./trainer-presence.js";

/** A logged-in trainer connection. */
export interface TrainerSession {
  readonly address: string;
  readonly datasetId: string;
  readonly socket: Socket;
}

/** The socket.io room of one trainer's connections, and of every trainer serving a dataset. */
export const trainerRoom = (address: string) => `trainer:${address}`;
export const datasetRoom = (datasetId: string) => `dataset:${datasetId}`;

/** The server-side event by which one replica asks the others to advance a job (`nudge`). */
export const NUDGE_EVENT = "tributary:nudge";

/**
 * Who is online right now. Live sockets are in memory (a connection does not survive a restart, trainers
 * reconnect); the database holds everything that must survive. It is what the rounds' and jobs' ports
 * (`INSTRUCTION_SENDER`, `JOB_ANNOUNCER`) send through. Each connection joins its trainer's room and its dataset's
 * room, so with several replicas (socket.io's Redis adapter) an event for a trainer connected elsewhere reaches it
 * through Redis; who is online anywhere is `TrainerPresence`.
 */
@Injectable()
export class TrainerSessions implements InstructionSender {
  readonly #logger = new Logger("sessions");
  readonly #byAddress = new Map<string, TrainerSession>();
  #io: Server | undefined;
  /** Jobs to nudge at the next turn of the event loop (a burst of updates sends one nudge per job). */
  readonly #nudges = new Set<string>();

  constructor(@Inject(TrainerPresence) private readonly presence: TrainerPresence) {}

  /** The socket.io server the gateway created (events for trainers on other replicas go through its adapter). */
  attach(io: Server): void {
    this.#io = io;
  }

  /**
   * Records a signed-in connection: it replaces the trainer's earlier connection, on this replica or (through the
   * adapter) on another one.
   */
  add(session: TrainerSession): void {
    const previous = this.#byAddress.get(session.address);
    if (previous !== undefined && previous.socket.id !== session.socket.id) previous.socket.disconnect(true);
    if (this.presence.shared) {
      this.#io?.in(trainerRoom(session.address)).except(session.socket.id).disconnectSockets(true);
    }
    void session.socket.join([trainerRoom(session.address), datasetRoom(session.datasetId)]);
    this.#byAddress.set(session.address, session);
    this.presence
      .connected(session.address, session.socket.id)
      .catch((error: Error) => this.#logger.warn(`presence of ${session.address}: ${error.message}`));
  }

  remove(socketId: string): TrainerSession | undefined {
    for (const [address, session] of this.#byAddress) {
      if (session.socket.id === socketId) {
        this.#byAddress.delete(address);
        this.presence
          .disconnected(address, socketId)
          .catch((error: Error) => this.#logger.warn(`presence of ${address}: ${error.message}`));
        return session;
      }
    }
    return undefined;
  }

  /** The trainers signed in to this replica (the metrics' connection gauge is per process). */
  online(): string[] {
    return [...this.#byAddress.keys()];
  }

  get(address: string): TrainerSession | undefined {
    return this.#byAddress.get(address);
  }

  /** Which of these trainers are connected: here, or with shared presence to any live replica. */
  async onlineAmong(addresses: readonly string[]): Promise<Set<string>> {
    if (this.presence.shared) return this.presence.onlineAmong(addresses);
    return new Set(addresses.filter((address) => this.#byAddress.has(address)));
  }

  /** Sends an event to every trainer serving one of `datasetIds`, on any replica. */
  sendToDatasets(datasetIds: readonly string[], event: string, ...payload: unknown[]): void {
    if (datasetIds.length === 0) return;
    this.#io?.to(datasetIds.map(datasetRoom)).emit(event, ...payload);
  }

  /** Sends an event to a trainer: directly when it is connected here, else through the adapter to its replica. */
  send(address: string, event: string, ...payload: unknown[]): void {
    const session = this.#byAddress.get(address);
    if (session !== undefined) session.socket.emit(event, ...payload);
    else if (this.presence.shared) this.#io?.to(trainerRoom(address)).emit(event, ...payload);
  }

  nudge(jobId: string): void {
    if (!this.presence.shared || this.#io === undefined) return;
    if (this.#nudges.size === 0) {
      setImmediate(() => {
        for (const job of this.#nudges) this.#io?.serverSideEmit(NUDGE_EVENT, job);
        this.#nudges.clear();
      });
    }
    this.#nudges.add(jobId);
  }
}
