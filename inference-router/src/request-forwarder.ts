import type { Readable } from "node:stream";
import {
  type Address,
  type RouteAttempt,
  type SignedVoucher,
  Uint256Schema,
  VOUCHER_HEADER,
  voucherToHeader,
} from "@tributary/protocol";
import type { ProviderEntry } from "./provider-table.js";

/** What the router answers the buyer. */
export interface Forwarded {
  readonly status: number;
  /** The headers passed on from the provider (content type, batch size). */
  readonly headers: Record<string, string>;
  /** The provider's answer, streamed through, or the body of a refusal. */
  readonly body: Readable | string;
  /** The provider that answered, when one did. */
  readonly provider: Address | undefined;
  readonly attempts: readonly RouteAttempt[];
}

const PASSED_HEADERS = ["content-type", "content-length", "x-tributary-batch-size"] as const;

function passed(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of PASSED_HEADERS) {
    const value = headers[name];
    if (typeof value === "string") out[name] = value;
  }
  return out;
}

/** Why a request to a provider failed without an answer: never sent, sent and broken, or no answer in time. */
function outcomeOf(error: unknown, timedOut: boolean): RouteAttempt["outcome"] {
  if (timedOut) return "timeout";
  const code = (error as { code?: string }).code ?? (error as { cause?: { code?: string } }).cause?.code;
  if (code === "ECONNREFUSED" || code === "UND_ERR_CONNECT_TIMEOUT" || code === "EHOSTUNREACH") return "unreachable";
  return "lost";
}

/** The code and `owed` of a provider's 402 body, when it has them. */
function refusalOf(text: string): Pick<RouteAttempt, "code" | "owed"> {
  try {
    const { error } = JSON.parse(text) as { error?: { code?: unknown; details?: { owed?: unknown } } };
    const code = typeof error?.code === "string" ? error.code.slice(0, 64) : undefined;
    const owed = Uint256Schema.safeParse(error?.details?.owed);
    return { ...(code === undefined ? {} : { code }), ...(owed.success ? { owed: owed.data } : {}) };
  } catch {
    return {};
  }
}

/**
 * Sends the buyer's request body, byte for byte, to the providers in `ranked` order (at `POST /v1/predict` with
 * `options.query`), each with the buyer's voucher for its own channel in the voucher header, until one answers. A provider that cannot be reached, breaks the
 * connection, does not answer within `attemptTimeoutMs` or fails (5xx) is marked unhealthy and the next is tried;
 * so is one that refuses the payment (402: another channel may pay). Any other 4xx is the request's own fault and is
 * answered at once. An answer is streamed through; its time to the first byte is the provider's latency sample.
 */
export async function forwardRequest(
  ranked: readonly ProviderEntry[],
  payments: ReadonlyMap<Address, SignedVoucher>,
  body: Buffer,
  options: {
    /** The provider's `POST /v1/predict` query (`?verifiable=1`, or empty). */
    readonly query?: string;
    readonly attemptTimeoutMs: number;
    readonly onAttempt?: (outcome: string) => void;
  },
): Promise<Forwarded> {
  const attempts: RouteAttempt[] = [];
  let refused: Forwarded | undefined;
  for (const entry of ranked) {
    const voucher = payments.get(entry.provider);
    if (voucher === undefined) continue;
    const started = performance.now();
    const abort = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      abort.abort();
    }, options.attemptTimeoutMs);
    entry.inFlight++;
    let response: Awaited<ReturnType<typeof entry.pool.request>>;
    try {
      response = await entry.pool.request({
        method: "POST",
        path: `${entry.base}/v1/predict${options.query ?? ""}`,
        headers: { "content-type": "application/json", [VOUCHER_HEADER]: voucherToHeader(voucher) },
        body,
        signal: abort.signal,
      });
    } catch (error) {
      entry.inFlight--;
      entry.healthy = false;
      const outcome = outcomeOf(error, timedOut);
      options.onAttempt?.(outcome);
      attempts.push({ provider: entry.provider, outcome });
      continue;
    } finally {
      clearTimeout(timer);
    }
    const status = response.statusCode;
    if (status >= 200 && status < 300) {
      entry.recordLatency(performance.now() - started);
      response.body.once("close", () => entry.inFlight--);
      options.onAttempt?.("answered");
      return { status, headers: passed(response.headers), body: response.body, provider: entry.provider, attempts };
    }
    const text = await response.body.text().catch(() => "");
    entry.inFlight--;
    if (status >= 500) {
      entry.healthy = false;
      options.onAttempt?.("failed");
      attempts.push({ provider: entry.provider, outcome: "failed", status });
      continue;
    }
    const answer = { status, headers: passed(response.headers), body: text, provider: entry.provider };
    if (status !== 402) return { ...answer, attempts };
    options.onAttempt?.("refused");
    attempts.push({ provider: entry.provider, outcome: "refused", status, ...refusalOf(text) });
    refused = { ...answer, attempts };
  }
  if (refused !== undefined) return { ...refused, attempts };
  const none = attempts.length === 0;
  return {
    status: none ? 503 : 502,
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      error: {
        code: none ? "NO_PROVIDER" : "NO_PROVIDER_ANSWERED",
        message: none
          ? "no healthy, staked provider of this model is paid by the vouchers offered"
          : `no provider answered: ${attempts.map((a) => `${a.provider} ${a.outcome}`).join(", ")}`,
        details: { attempts },
      },
    }),
    provider: undefined,
    attempts,
  };
}
