import { type MessageSigner, signIn } from "@tributary/protocol";

/** Signs in with the coordinator at `base` (EIP-4361) and returns the bearer token. */
export async function signInAs(base: string, signer: MessageSigner, chainId = 31_337): Promise<string> {
  return (await signIn(base, signer, chainId)).token;
}

function headers(body: unknown, token: string | undefined): Record<string, string> {
  return {
    ...(body === undefined ? {} : { "content-type": "application/json" }),
    ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
  };
}

/** JSON over fetch against a coordinator, for tests and benchmarks; `token` from `signInAs`. */
export async function request<T = unknown>(
  base: string,
  method: "GET" | "POST",
  path: string,
  body?: unknown,
  token?: string,
): Promise<{ status: number; body: T }> {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: headers(body, token),
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, body: (text === "" ? undefined : JSON.parse(text)) as T };
}

export async function ok<T = unknown>(
  base: string,
  method: "GET" | "POST",
  path: string,
  body?: unknown,
  token?: string,
): Promise<T> {
  const result = await request<T>(base, method, path, body, token);
  if (result.status >= 300) throw new Error(`${method} ${path} → ${result.status}: ${JSON.stringify(result.body)}`);
  return result.body;
}

export async function downloadModel(
  base: string,
  cid: string,
  token?: string,
): Promise<{ bytes: Uint8Array; sha256: string | null }> {
  const response = await fetch(`${base}/models/${cid}`, { headers: headers(undefined, token) });
  if (!response.ok) throw new Error(`GET /models/${cid} → ${response.status}`);
  return { bytes: new Uint8Array(await response.arrayBuffer()), sha256: response.headers.get("x-content-sha256") };
}

/** Polls until `check` returns a value (not undefined) or the timeout passes. */
export async function until<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const started = Date.now();
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
