import type { Ack, JobId } from "@tributary/protocol";
import type { Socket } from "socket.io-client";
import type { AgentEvent } from "./trainer-agent-options.js";

/** What the outbox needs of the agent's connection. */
export interface OutboxLink {
  /** Resolves once the agent is logged in on its current connection. */
  loggedIn(): Promise<void>;
  /** The socket of the current connection. */
  socket(): Socket;
  emit(event: AgentEvent): void;
}

/**
 * The agent's answers to the coordinator's instructions (updates, refusals, evaluations), each sent until the
 * coordinator acknowledges it: across disconnects (waiting for the next login) and coordinator restarts (the
 * coordinator persisted the round and resends the same instruction, which is answered from here instead of training
 * again and spending privacy budget twice).
 */
export class AnswerOutbox {
  constructor(private readonly link: OutboxLink) {}

  /** Sends `event` with `args`; emits `done` once acknowledged, or `rejected` when the coordinator refuses it. */
  async deliver(event: string, args: unknown[], done: AgentEvent): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      await this.link.loggedIn();
      let ack: Ack;
      try {
        ack = await this.link
          .socket()
          .timeout(60_000)
          .emitWithAck(event, ...args);
      } catch {
        continue; // no acknowledgement (connection lost or coordinator gone): wait for the next login
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
