import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** The one method of an EIP-1193 provider the bridge needs (Hardhat's in-process provider has it). */
export interface RequestProvider {
  request(args: { method: string; params?: unknown[] }): Promise<unknown>;
}

interface RpcRequest {
  readonly id?: unknown;
  readonly method?: unknown;
  readonly params?: unknown;
}

/** JSON-RPC 2.0's own error codes. */
const PARSE_ERROR = -32_700;
const INVALID_REQUEST = -32_600;
const INTERNAL_ERROR = -32_603;

/**
 * Serves an in-process EIP-1193 provider as JSON-RPC over HTTP on 127.0.0.1 (single and batch requests), which
 * is how every other process (the coordinator, trainers, the CLI) reaches the chain. `stop()` then `start()`
 * reopens the same port, so to a client a stop looks like an RPC outage and nothing else changes.
 */
export class JsonRpcBridge {
  readonly #provider: RequestProvider;
  #server: Server | undefined;
  #port: number;

  /** `port` 0 lets the system pick a free one on the first `start()`; later starts reuse it. */
  constructor(provider: RequestProvider, port = 0) {
    this.#provider = provider;
    this.#port = port;
  }

  /** The port served on (0 until the first `start()` of a bridge created with port 0). */
  get port(): number {
    return this.#port;
  }

  get listening(): boolean {
    return this.#server !== undefined;
  }

  /** Listens on 127.0.0.1; rejects (e.g. `EADDRINUSE`) when the port cannot be had. Idempotent. */
  async start(): Promise<void> {
    if (this.#server !== undefined) return;
    const server = createServer((request, response) => {
      this.#serve(request, response).catch((error: unknown) => {
        if (!response.headersSent) response.writeHead(500, { "content-type": "text/plain" });
        response.end(error instanceof Error ? error.message : String(error));
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(this.#port, "127.0.0.1", () => {
        server.off("error", reject);
        resolve();
      });
    });
    this.#port = (server.address() as AddressInfo).port;
    this.#server = server;
  }

  /** Closes the endpoint and every open connection: calls fail with ECONNREFUSED until `start()`. Idempotent. */
  async stop(): Promise<void> {
    const server = this.#server;
    if (server === undefined) return;
    this.#server = undefined;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  async #serve(request: IncomingMessage, response: ServerResponse): Promise<void> {
    // Like the JSON-RPC of Hardhat's and Anvil's nodes, any origin may call it: a web page (the portal's development
    // wallet) sends its reads and transactions here. It listens on 127.0.0.1 only.
    if (request.method === "OPTIONS") {
      response.writeHead(204, CORS_HEADERS).end();
      return;
    }
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    let body: unknown;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      return reply(response, failure(null, PARSE_ERROR, `parse error: ${message}`));
    }
    const answer = Array.isArray(body)
      ? await Promise.all(body.map((one: unknown) => this.#answer(one)))
      : await this.#answer(body);
    reply(response, answer);
  }

  async #answer(request: unknown): Promise<object> {
    const {
      id = null,
      method,
      params = [],
    } = (typeof request === "object" && request !== null ? request : {}) as RpcRequest;
    if (typeof method !== "string" || !Array.isArray(params)) {
      return failure(id, INVALID_REQUEST, "invalid request: needs a string `method` and array `params`");
    }
    try {
      const result = await this.#provider.request({ method, params });
      return { jsonrpc: "2.0", id, result: result ?? null };
    } catch (error) {
      const { code, message, data } = error as { code?: unknown; message?: unknown; data?: unknown };
      return failure(
        id,
        typeof code === "number" ? code : INTERNAL_ERROR,
        typeof message === "string" ? message : String(error),
        data,
      );
    }
  }
}

function failure(id: unknown, code: number, message: string, data?: unknown): object {
  return { jsonrpc: "2.0", id, error: data === undefined ? { code, message } : { code, message, data } };
}

const CORS_HEADERS = {
  "access-control-allow-origin": "*",
  "access-control-allow-methods": "POST, OPTIONS",
  "access-control-allow-headers": "content-type",
  "access-control-max-age": "600",
};

function reply(response: ServerResponse, answer: unknown): void {
  response.writeHead(200, { "content-type": "application/json", ...CORS_HEADERS }).end(JSON.stringify(answer));
}
