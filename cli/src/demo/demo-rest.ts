import type { LoggerService } from "@nestjs/common";

/** GET `base + url` as JSON; a non-2xx answer throws with the coordinator's message. */
export async function getJson<T>(base: string, url: string): Promise<T> {
  const response = await fetch(`${base}${url}`);
  if (!response.ok) throw new Error(`GET ${url} → ${response.status}: ${await response.text()}`);
  return (await response.json()) as T;
}

/** POST `body` as JSON to `base + url`; a non-2xx answer throws with the coordinator's message. */
export async function postJson<T>(base: string, url: string, body: unknown): Promise<T> {
  const response = await fetch(`${base}${url}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`POST ${url} → ${response.status}: ${await response.text()}`);
  return (await response.json()) as T;
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
