import type { LoggerService } from "@nestjs/common";

function auth(token: string | undefined): Record<string, string> {
  return token === undefined ? {} : { authorization: `Bearer ${token}` };
}

/** GET `base + url` as JSON; a non-2xx answer throws with the coordinator's message. */
export async function getJson<T>(base: string, url: string): Promise<T> {
  const response = await fetch(`${base}${url}`);
  if (!response.ok) throw new Error(`GET ${url} → ${response.status}: ${await response.text()}`);
  return (await response.json()) as T;
}

/**
 * POST `body` as JSON to `base + url` as the holder of session `token` (`signIn` from protocol); a non-2xx answer
 * throws with the coordinator's message.
 */
export async function postJson<T>(base: string, url: string, body: unknown, token?: string): Promise<T> {
  const response = await fetch(`${base}${url}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...auth(token) },
    body: JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`POST ${url} → ${response.status}: ${await response.text()}`);
  return (await response.json()) as T;
}

/** POST raw `bytes` (application/octet-stream) to `base + url`; a non-2xx answer throws with the coordinator's message. */
export async function postBytes<T>(base: string, url: string, bytes: Uint8Array, token?: string): Promise<T> {
  const response = await fetch(`${base}${url}`, {
    method: "POST",
    headers: { "content-type": "application/octet-stream", ...auth(token) },
    body: bytes,
  });
  if (!response.ok) throw new Error(`POST ${url} → ${response.status}: ${await response.text()}`);
  return (await response.json()) as T;
}

/**
 * GET `base + url` until it answers 200 (e.g. a resource the coordinator learns from the chain); a 404 means not
 * yet, any other error throws. Rejects naming `what` after `timeoutMs`.
 */
export async function getOnceThere<T>(base: string, url: string, what: string, timeoutMs: number): Promise<T> {
  const started = Date.now();
  for (;;) {
    const response = await fetch(`${base}${url}`);
    if (response.ok) return (await response.json()) as T;
    if (response.status !== 404) throw new Error(`GET ${url} → ${response.status}: ${await response.text()}`);
    await response.body?.cancel();
    if (Date.now() - started > timeoutMs) throw new Error(`timed out after ${timeoutMs / 1000}s waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Coordinator log lines that matter to someone watching the demo: warnings and errors. */
export function quietLogger(note: (text: string) => void): LoggerService {
  return {
    log: () => {},
    debug: () => {},
    verbose: () => {},
    warn: (message: unknown, context?: unknown) =>
      note(`  coordinator ${context === undefined ? "" : `[${String(context)}] `}warning: ${String(message)}`),
    error: (message: unknown, context?: unknown) =>
      note(`  coordinator ${context === undefined ? "" : `[${String(context)}] `}error: ${String(message)}`),
  };
}
