import { type Ack, type JobChange, JobChangeSchema, WATCH_EVENTS, WATCH_PATH } from "@tributary/protocol";
import { io, type Socket } from "socket.io-client";

/** A person's connection to a coordinator's watch channel (`WATCH_PATH`), as the web portal's job page opens it. */
export class JobWatcher {
  /** Every `job:changed` received, parsed with protocol's schema, in order. */
  readonly changes: JobChange[] = [];
  readonly #ended = new Map<string, () => void>();

  private constructor(readonly socket: Socket) {
    socket.on(WATCH_EVENTS.changed, (payload: unknown) => {
      const change = JobChangeSchema.parse(payload);
      this.changes.push(change);
      if (change.what === "ended") this.#ended.get(change.jobId)?.();
    });
  }

  /** Opens a connection with `auth` (`{token}` from `POST /auth/siwe`, or none); see `outcome` for how it went. */
  static open(url: string, auth?: object): JobWatcher {
    return new JobWatcher(
      io(url, {
        path: WATCH_PATH,
        transports: ["websocket"],
        reconnection: false,
        ...(auth === undefined ? {} : { auth }),
      }),
    );
  }

  /** How the connection ended: connected, or refused with the middleware's code and message. */
  outcome(): Promise<{ connected: true } | { code: string; message: string }> {
    if (this.socket.connected) return Promise.resolve({ connected: true });
    return new Promise((resolve) => {
      this.socket.once("connect", () => resolve({ connected: true }));
      this.socket.once("connect_error", (error: Error & { data?: { code?: string } }) =>
        resolve({ code: error.data?.code ?? "none", message: error.message }),
      );
    });
  }

  /** Sends `event` with `payload` and resolves with the coordinator's acknowledgement. */
  ask(event: string, payload: unknown): Promise<Ack> {
    return new Promise((resolve) => this.socket.emit(event, payload, resolve));
  }

  /** Watches `jobId` (refused: throws the coordinator's message); resolves the returned promise when it ends. */
  async watch(jobId: string): Promise<{ ended: Promise<void> }> {
    const ended = new Promise<void>((resolve) => this.#ended.set(jobId, resolve));
    const ack = await this.ask(WATCH_EVENTS.watch, { jobId });
    if (!ack.ok) throw new Error(`${ack.code}: ${ack.message}`);
    return { ended };
  }

  close(): void {
    this.socket.disconnect();
  }
}
