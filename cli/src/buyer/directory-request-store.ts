import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import path from "node:path";
import { checkRequestBytes, type RequestStore } from "@tributary/buyer";
import { type Bytes32, Bytes32Schema, INFERENCE_BINARY_TYPE, REQUESTS_PATH } from "@tributary/protocol";

/**
 * A buyer's `RequestStore` in a directory: each verifiable request's canonical bytes in `<dir>/<requestHash>.tdiq`,
 * written whole (temporary name, then renamed). Kept until the buyer deletes them: a task's request must stay
 * available to challengers for its dispute window.
 */
export class DirectoryRequestStore implements RequestStore {
  private constructor(readonly dir: string) {}

  static async open(dir: string): Promise<DirectoryRequestStore> {
    await mkdir(dir, { recursive: true });
    return new DirectoryRequestStore(dir);
  }

  #file(requestHash: string): string {
    return path.join(this.dir, `${Bytes32Schema.parse(requestHash)}.tdiq`);
  }

  async put(requestHash: Bytes32, bytes: Uint8Array): Promise<void> {
    checkRequestBytes(requestHash, bytes);
    const file = this.#file(requestHash);
    await writeFile(`${file}.tmp`, bytes);
    await rename(`${file}.tmp`, file);
  }

  async get(requestHash: Bytes32): Promise<Uint8Array | undefined> {
    try {
      const bytes = new Uint8Array(await readFile(this.#file(requestHash)));
      checkRequestBytes(requestHash, bytes);
      return bytes;
    } catch {
      return undefined;
    }
  }
}

/**
 * Serves `store` to challengers and committee members as a provider does: `GET /v1/requests/<requestHash>` answers
 * the canonical request bytes (`application/octet-stream`), 404 when the store has none. Whoever fetches checks their
 * SHA-256, so the server needs no authentication; what it publishes is what the buyer's tasks already made public
 * (their input hashes are on chain). Resolves once listening; `close()` stops it.
 */
export async function serveRequestStore(
  store: RequestStore,
  options: { readonly host: string; readonly port: number },
): Promise<{ readonly url: string; close(): Promise<void> }> {
  const server: Server = createServer((request, response) => {
    const match = new RegExp(`^${REQUESTS_PATH}/(0x[0-9a-fA-F]{64})$`).exec(request.url ?? "");
    const hash = match?.[1];
    if (request.method !== "GET" || hash === undefined) {
      response
        .writeHead(404, { "content-type": "application/json" })
        .end(JSON.stringify({ error: { code: "NOT_FOUND", message: `GET ${REQUESTS_PATH}/<requestHash> only` } }));
      return;
    }
    store.get(hash.toLowerCase() as Bytes32).then(
      (bytes) => {
        if (bytes === undefined) {
          response
            .writeHead(404, { "content-type": "application/json" })
            .end(JSON.stringify({ error: { code: "REQUEST_UNKNOWN", message: `no request ${hash} is kept here` } }));
        } else {
          response.writeHead(200, { "content-type": INFERENCE_BINARY_TYPE }).end(bytes);
        }
      },
      () => response.writeHead(500).end(),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, resolve);
  });
  const address = server.address();
  const port = typeof address === "object" && address !== null ? address.port : options.port;
  return {
    url: `http://${options.host}:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
