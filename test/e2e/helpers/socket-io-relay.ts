import { createServer, type Server, type Socket, connect as tcpConnect } from "node:net";

/** A socket.io event a client sent through the relay, and the engine.io session (sid) it was sent on. */
export interface RelayedEvent {
  readonly session: string;
  readonly event: string;
}

/** The event name of a socket.io EVENT or BINARY_EVENT packet carried in an engine.io message packet, if any. */
function eventName(enginePacket: string): string | undefined {
  return /^4[25](?:\d+-)?(?:\/[^,]*,)?\d*\["([^"]+)"/.exec(enginePacket)?.[1];
}

/**
 * Reads what a client sends over one TCP connection: HTTP requests (engine.io long-polling POST bodies, packets
 * separated by 0x1e) and, after an upgrade, client WebSocket frames (masked, RFC 6455 §5.2). Reports each socket.io
 * event name in order.
 */
class ClientStreamReader {
  #buffer = Buffer.alloc(0);
  #websocket = false;
  #session = "";

  constructor(private readonly report: (session: string, event: string) => void) {}

  push(chunk: Buffer): void {
    this.#buffer = Buffer.concat([this.#buffer, chunk]);
    while (this.#websocket ? this.#frame() : this.#request());
  }

  #request(): boolean {
    const end = this.#buffer.indexOf("\r\n\r\n");
    if (end < 0) return false;
    const head = this.#buffer.subarray(0, end).toString("latin1");
    const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? 0);
    if (this.#buffer.length < end + 4 + length) return false;
    const body = this.#buffer.subarray(end + 4, end + 4 + length).toString("utf8");
    this.#buffer = this.#buffer.subarray(end + 4 + length);
    this.#session = /[?&]sid=([^&\s]+)/.exec(head)?.[1] ?? "";
    for (const packet of body.split("\x1e")) {
      const name = eventName(packet);
      if (name !== undefined) this.report(this.#session, name);
    }
    if (/\r\nupgrade: *websocket/i.test(head)) this.#websocket = true;
    return true;
  }

  #frame(): boolean {
    const b = this.#buffer;
    if (b.length < 2) return false;
    const opcode = (b[0] as number) & 0x0f;
    let length = (b[1] as number) & 0x7f;
    let at = 2;
    if (length === 126) {
      if (b.length < 4) return false;
      length = b.readUInt16BE(2);
      at = 4;
    } else if (length === 127) {
      if (b.length < 10) return false;
      length = Number(b.readBigUInt64BE(2));
      at = 10;
    }
    const masked = ((b[1] as number) & 0x80) !== 0;
    const payloadAt = at + (masked ? 4 : 0);
    if (b.length < payloadAt + length) return false;
    const payload = Buffer.from(b.subarray(payloadAt, payloadAt + length));
    if (masked) for (let i = 0; i < length; i++) payload[i] = (payload[i] as number) ^ (b[at + (i % 4)] as number);
    this.#buffer = b.subarray(payloadAt + length);
    if (opcode === 1) {
      const name = eventName(payload.toString("utf8"));
      if (name !== undefined) this.report(this.#session, name);
    }
    return true;
  }
}

/**
 * A TCP relay to a local port, standing for the network between a trainer and its coordinator: it can drop every
 * connection and refuse new ones for a while, and it records the socket.io events the clients send, per
 * engine.io session, in order.
 */
export class SocketIoRelay {
  readonly server: Server;
  readonly events: RelayedEvent[] = [];
  readonly #open = new Set<Socket>();
  #closedUntil = 0;
  target = 0;
  cuts = 0;

  constructor() {
    this.server = createServer((client) => {
      if (Date.now() < this.#closedUntil) {
        client.destroy();
        return;
      }
      const reader = new ClientStreamReader((session, event) => this.events.push({ session, event }));
      const upstream = tcpConnect(this.target, "127.0.0.1");
      client.on("data", (chunk: Buffer) => reader.push(chunk));
      for (const [from, to] of [
        [client, upstream],
        [upstream, client],
      ] as const) {
        this.#open.add(from);
        from.on("error", () => to.destroy());
        from.on("close", () => {
          this.#open.delete(from);
          to.destroy();
        });
        from.pipe(to);
      }
    });
  }

  async listen(): Promise<number> {
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    return (this.server.address() as { port: number }).port;
  }

  /** Drops every relayed connection and refuses new ones for `ms`. */
  cut(ms: number): void {
    this.cuts++;
    this.#closedUntil = Date.now() + ms;
    for (const socket of this.#open) socket.destroy();
  }

  close(): void {
    for (const socket of this.#open) socket.destroy();
    this.server.close();
  }
}
