import { randomBytes } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { SOCKET_EVENTS } from "@tributary/protocol";
import { Server, type Socket } from "socket.io";

/**
 * The baseline: a plain socket.io server on loopback, configured like the coordinator's gateway, that asks its
 * clients for an update and acknowledges each binary message on arrival, doing nothing else with it.
 */
export class RawSocketServer {
  readonly #byIndex = new Map<number, Socket>();
  #expected = 0;
  #received = 0;
  #done: (() => void) | undefined;

  private constructor(
    private readonly io: Server,
    readonly url: string,
  ) {
    io.on("connection", (socket) => {
      this.#byIndex.set(Number((socket.handshake.auth as { index: number }).index), socket);
      socket.on(SOCKET_EVENTS.update, (_header: unknown, bytes: unknown, ack: (response: object) => void) => {
        if (!(bytes instanceof Uint8Array)) throw new Error("the raw baseline received no binary attachment");
        ack({ ok: true, accepted: true });
        this.#received++;
        if (this.#received === this.#expected) this.#done?.();
      });
    });
  }

  static async start(maxUpdateBytes: number): Promise<RawSocketServer> {
    const http = createServer();
    const io = new Server(http, {
      maxHttpBufferSize: maxUpdateBytes + 1024 * 1024,
      pingInterval: 10_000,
      pingTimeout: 20_000,
    });
    await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
    return new RawSocketServer(io, `http://127.0.0.1:${(http.address() as AddressInfo).port}`);
  }

  get connected(): number {
    return this.#byIndex.size;
  }

  /**
   * One round: asks clients `0 … trainers-1` for their update of `round` in `scenario` and returns the
   * milliseconds until the last update has arrived and been acknowledged.
   */
  async round(scenario: string, trainers: number, round: number): Promise<number> {
    this.#expected = trainers;
    this.#received = 0;
    const done = new Promise<void>((resolve) => {
      this.#done = resolve;
    });
    const started = performance.now();
    for (let index = 0; index < trainers; index++) {
      const socket = this.#byIndex.get(index);
      if (socket === undefined) throw new Error(`raw client ${index} is not connected`);
      socket.emit(SOCKET_EVENTS.instruction, { scenario, round, nonce: `0x${randomBytes(32).toString("hex")}` });
    }
    await done;
    return performance.now() - started;
  }

  async close(): Promise<void> {
    await this.io.close();
  }
}
