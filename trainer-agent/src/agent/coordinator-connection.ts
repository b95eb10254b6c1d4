import { randomInt } from "node:crypto";
import {
  type HandshakeAuthInput,
  handshakeRefusalOf,
  signInHeaders,
  TRAINER_TRANSPORTS,
  TributaryError,
} from "@tributary/protocol";
import { io, type Socket } from "socket.io-client";

/** First reconnection delay, its ceiling, and the ± share of random spread (as socket.io's own defaults here). */
const FIRST_DELAY_MS = 500;
const MAX_DELAY_MS = 10_000;
const SPREAD = 0.5;

export interface CoordinatorConnectionOptions {
  readonly coordinatorUrl: string;
  /** A fresh handshake sign-in (a new nonce from the coordinator each time): `trainerHandshakeAuth`. */
  readonly signIn: () => Promise<HandshakeAuthInput>;
  /** A problem that is retried (the sign-in could not be built, e.g. the coordinator is unreachable). */
  readonly onError: (message: string) => void;
  /** The coordinator refused the handshake, with its code and reason. This is final: there is no retry. */
  readonly onRefused: (error: TributaryError) => void;
}

/**
 * The agent's socket.io connection to its coordinator. The agent signs in afresh, with a new nonce, in the header of
 * the request that opens each connection. The coordinator verifies the sign-in before it opens a WebSocket, and
 * answers a refusal with its code and reason. socket.io cannot build a new sign-in for its own reconnections, so
 * this class reconnects instead, with exponential backoff, after a lost connection or a network error. It does not
 * reconnect when either side closed on purpose: the agent stopped, or the coordinator ended this session for a
 * newer one.
 */
export class CoordinatorConnection {
  readonly socket: Socket;
  #failures = 0;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(private readonly options: CoordinatorConnectionOptions) {
    this.socket = io(options.coordinatorUrl, {
      transports: TRAINER_TRANSPORTS,
      autoConnect: false,
      reconnection: false,
    });
    this.socket.on("connect", () => {
      this.#failures = 0;
    });
    this.socket.on("connect_error", (error: Error & { data?: { code?: unknown } }) => {
      const refusal =
        handshakeRefusalOf(error) ??
        (typeof error.data?.code === "string" ? { code: error.data.code, message: error.message } : undefined);
      if (refusal === undefined) {
        this.#retry();
        return;
      }
      this.close();
      options.onRefused(new TributaryError(refusal.code, `login refused: ${refusal.code}: ${refusal.message}`));
    });
    this.socket.on("disconnect", (reason) => {
      if (reason !== "io client disconnect" && reason !== "io server disconnect") this.#retry();
    });
  }

  /** Connects (once listeners are attached to `socket`). */
  open(): void {
    void this.#connect();
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
    this.socket.disconnect();
  }

  async #connect(): Promise<void> {
    let auth: HandshakeAuthInput;
    try {
      auth = await this.options.signIn();
    } catch (error) {
      this.options.onError(`sign-in: ${(error as Error).message}`);
      this.#retry();
      return;
    }
    if (this.#closed) return;
    // The documented way to change a connection's headers between attempts: the manager's options.
    this.socket.io.opts.extraHeaders = signInHeaders(auth);
    this.socket.connect();
  }

  #retry(): void {
    if (this.#closed) return;
    const base = Math.min(MAX_DELAY_MS, FIRST_DELAY_MS * 2 ** this.#failures);
    const delay = base * (1 - SPREAD + (2 * SPREAD * randomInt(1_000)) / 1_000);
    this.#failures = Math.min(this.#failures + 1, 16);
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => void this.#connect(), delay);
  }
}
