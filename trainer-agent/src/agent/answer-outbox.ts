import type { Ack, JobId } from "@tributary/protocol";
import type { Socket } from "socket.io-client";
import type { AgentEvent } from "./trainer-agent-options.js";

/** One login of the agent: a connection on which the coordinator's hello arrived and the manifest was sent. */
export interface Login {
  readonly socket: Socket;
  /** Whether this login is still the agent's current one and its connection is up. */
  live(): boolean;
  /** Ends this login (its connection is about to close): what waits to be sent waits for the next one. */
  end(): void;
}

/** What the outbox needs of the agent's connection. */
export interface OutboxLink {
  /** Resolves with the current login once the agent is logged in on its current connection. */
  loggedIn(): Promise<Login>;
  emit(event: AgentEvent): void;
}

const ACK_TIMEOUT_MS = 60_000;

/**
 * Emits `event` on `login`'s connection and resolves with the acknowledgement; rejects when the login is no longer
 * live, when the connection drops before the acknowledgement, or after the timeout. The answer never waits in
 * socket.io's send buffer: socket.io buffers an emit when the socket is disconnected, and also when the engine's
 * heartbeat expired while the process was busy (a training round that kept the event loop blocked longer than the
 * ping interval and timeout), and replays its buffer as soon as the next connection opens, before that connection's
 * hello and login. An emit that lands in the buffer is taken out of it again and counts as not sent.
 */
function sendOn(login: Login, event: string, args: unknown[]): Promise<Ack> {
  const { socket } = login;
  if (!login.live()) return Promise.reject(new Error("the login ended before sending"));
  return new Promise<Ack>((resolve, reject) => {
    const lost = () => reject(new Error("connection lost before the acknowledgement"));
    socket.once("disconnect", lost);
    const buffered = socket.sendBuffer.length;
    socket.timeout(ACK_TIMEOUT_MS).emit(event, ...args, (error: Error | null, ack: Ack) => {
      socket.off("disconnect", lost);
      if (error) reject(error);
      else resolve(ack);
    });
    if (socket.sendBuffer.length > buffered) {
      socket.sendBuffer.splice(buffered);
      socket.off("disconnect", lost);
      login.end();
      reject(new Error("the connection's heartbeat had expired: not sent"));
    }
  });
}

/**
 * The agent's answers to the coordinator's instructions (updates, refusals, evaluations), each sent until the
 * coordinator acknowledges it: across disconnects (each resend waits for the login of the new connection, never
 * goes out before it) and coordinator restarts (the coordinator persisted the round and resends the same
 * instruction, which is answered from here instead of training again and spending privacy budget twice).
 */
export class AnswerOutbox {
  constructor(private readonly link: OutboxLink) {}

  /** Sends `event` with `args`; emits `done` once acknowledged, or `rejected` when the coordinator refuses it. */
  async deliver(event: string, args: unknown[], done: AgentEvent): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      const login = await this.link.loggedIn();
      let ack: Ack;
      try {
        ack = await sendOn(login, event, args);
      } catch {
        continue; // not sent, or no acknowledgement (connection lost or coordinator gone): wait for the next login
      }
      if (ack.ok) {
        this.link.emit(done);
        return;
      }
      if ((ack.code === "NOT_LOGGED_IN" || ack.code === "INTERNAL") && attempt < 20) {
        await new Promise((resolve) => setTimeout(resolve, 500 * 2 ** Math.min(attempt, 5)));
        continue;
      }
      const { jobId, round } = done as { jobId: JobId; round: number };
      this.link.emit({ type: "rejected", jobId, round, code: ack.code, message: ack.message });
      return;
    }
  }
}
