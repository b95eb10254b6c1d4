import { createHash, randomBytes } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { type Bytes32, type JobSpec, SOCKET_EVENTS, weightsToBytes } from "@tributary/protocol";
import { CID } from "multiformats/cid";
import * as Digest from "multiformats/hashes/digest";
import { type Socket, Server as SocketServer } from "socket.io";

/** Something the agent sent the coordinator: a socket event and its arguments. */
export interface AgentMessage {
  readonly event: string;
  readonly args: readonly unknown[];
}

const RAW_CODEC = 0x55;
const SHA2_256 = 0x12;

/** The CIDv1 (raw codec, sha2-256 multihash) of a digest, as a coordinator names a model. */
function rawCid(digest: Uint8Array): string {
  return CID.create(1, RAW_CODEC, Digest.create(SHA2_256, digest)).toString();
}

/**
 * Test support (not part of the package build): a coordinator that says whatever its test tells it to. It speaks
 * the trainer protocol (REST for sign-in nonces, datasets, job specs and models; socket.io with any handshake
 * sign-in accepted, then hello, join, attest and the
 * agent's answers, all acknowledged with success) and sends the agent any instruction, so tests can play a
 * malicious coordinator against the real trainer agent through its public interface.
 */
export class LyingCoordinator {
  readonly #received: AgentMessage[] = [];
  readonly #waiters: { events: readonly string[]; resolve: (message: AgentMessage) => void }[] = [];
  #socket: Socket | undefined;

  private constructor(
    private readonly http: Server,
    private readonly io: SocketServer,
    readonly url: string,
    /** Job specs served at `GET /jobs/:id`; tests may change them. */
    readonly jobs: Map<string, JobSpec>,
    private readonly models: Map<string, Uint8Array>,
  ) {}

  static async start(options: {
    datasetId: string;
    commitment: string;
    chainId?: number;
    verifyingContract?: string;
  }): Promise<LyingCoordinator> {
    const jobs = new Map<string, JobSpec>();
    const models = new Map<string, Uint8Array>();
    const http = createServer((request, response) => {
      const [, kind, id] = (request.url ?? "").split("/");
      const json = (body: unknown) => {
        response.setHeader("content-type", "application/json");
        response.end(JSON.stringify(body));
      };
      if (kind === "datasets" && id === options.datasetId) return json({ id, commitment: options.commitment });
      if (kind === "auth" && id === "nonce") return json({ nonce: randomBytes(16).toString("hex") });
      const spec = jobs.get(id ?? "");
      if (kind === "jobs" && spec !== undefined) return json({ id, spec });
      const model = models.get(id ?? "");
      if (kind === "models" && model !== undefined) return response.end(Buffer.from(model));
      response.statusCode = 404;
      response.end("not found");
    });
    const io = new SocketServer(http);
    await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
    const self = new LyingCoordinator(http, io, url, jobs, models);
    io.on("connection", (socket) => {
      self.#socket = socket;
      socket.onAny((event: string, ...args: unknown[]) => {
        const ack = args.at(-1);
        const payload = typeof ack === "function" ? args.slice(0, -1) : args;
        self.#record({ event, args: payload });
        if (typeof ack !== "function") return;
        if (event === SOCKET_EVENTS.join) ack({ ok: true, nonce: `0x${randomBytes(32).toString("hex")}` });
        else if (event === SOCKET_EVENTS.attest) ack({ ok: true, simulated: true, teeKind: "simulated" });
        else ack({ ok: true });
      });
      socket.emit(SOCKET_EVENTS.hello, {
        nonce: `0x${randomBytes(32).toString("hex")}`,
        mode: "development",
        chainId: options.chainId ?? 31_337,
        verifyingContract: options.verifyingContract ?? `0x${"00".repeat(20)}`,
      });
    });
    return self;
  }

  #record(message: AgentMessage): void {
    this.#received.push(message);
    const index = this.#waiters.findIndex((waiter) => waiter.events.includes(message.event));
    if (index >= 0) this.#waiters.splice(index, 1)[0]?.resolve(message);
  }

  /** Everything the agent sent, in order. */
  get received(): readonly AgentMessage[] {
    return this.#received;
  }

  /** Serves `weights` as a model; returns its CID (CIDv1, raw, sha2-256, as a coordinator names it) and SHA-256. */
  addModel(weights: Float32Array): { modelCid: string; modelHash: Bytes32 } {
    const bytes = weightsToBytes(weights);
    const digest = createHash("sha256").update(bytes).digest();
    const modelCid = rawCid(digest);
    this.models.set(modelCid, bytes);
    return { modelCid, modelHash: `0x${digest.toString("hex")}` as Bytes32 };
  }

  /** Sends the connected agent `event` with `payload` (an instruction, `job:opened`…). */
  send(event: string, payload: unknown): void {
    if (this.#socket === undefined) throw new Error("no agent connected");
    this.#socket.emit(event, payload);
  }

  /** The next message the agent sends from now on of one of `events` (earlier ones are not returned). */
  next(events: readonly string[], timeoutMs = 60_000): Promise<AgentMessage> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no ${events.join("/")} from the agent within ${timeoutMs} ms`)),
        timeoutMs,
      );
      this.#waiters.push({
        events,
        resolve: (message) => {
          clearTimeout(timer);
          resolve(message);
        },
      });
    });
  }

  async close(): Promise<void> {
    await this.io.close();
    this.http.closeAllConnections();
  }
}
