import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/** Rewrites the body of a response the real coordinator gave for `path`; undefined leaves it as it was. */
export type Tamper = (path: string, body: Uint8Array) => Uint8Array | undefined;

export interface TamperingProxy {
  readonly url: string;
  close(): Promise<void>;
}

/**
 * A dishonest coordinator for tests: forwards every request to the real one at `target` and passes its answers
 * back, except that `tamper` may rewrite a successful answer's body (e.g. flip a byte of a model), as a coordinator
 * that lies would. It answers sign-in itself (any signature; a sign-in names the origin it is sent to, so the real
 * coordinator would refuse one made out to the proxy) and forwards requests with `token`, a real session of the
 * same account at `target`: access control stays the real coordinator's.
 */
export async function startTamperingProxy(target: string, token: string, tamper: Tamper): Promise<TamperingProxy> {
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const path = request.url ?? "/";
      const json = (body: unknown) =>
        response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(body));
      if (path === "/auth/nonce") return json({ nonce: "0123456789abcdef" });
      if (path === "/auth/siwe") {
        return json({ token: "proxy-session", address: `0x${"00".repeat(20)}`, expiresAt: new Date().toISOString() });
      }
      const headers: Record<string, string> = { authorization: `Bearer ${token}` };
      const type = request.headers["content-type"];
      if (typeof type === "string") headers["content-type"] = type;
      const body = chunks.length === 0 ? undefined : Buffer.concat(chunks);
      fetch(`${target}${path}`, { method: request.method ?? "GET", headers, ...(body === undefined ? {} : { body }) })
        .then(async (answer) => {
          const bytes = new Uint8Array(await answer.arrayBuffer());
          const sent = (answer.ok ? tamper(path, bytes) : undefined) ?? bytes;
          response.writeHead(answer.status, { "content-type": answer.headers.get("content-type") ?? "" });
          response.end(sent);
        })
        .catch((error: unknown) => response.writeHead(502).end(String(error)));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
