import {
  type Address,
  InvalidSignatureError,
  parseInput,
  recoverAnnouncementSigner,
  type ServedModelInfo,
  ServedModelInfoSchema,
  type SignedProviderAnnouncement,
} from "@tributary/protocol";
import { request } from "undici";
import type { ProviderStanding, RegistryReader } from "./registry-reader.js";
import { RouterRefusedError } from "./router-error.js";

/** The deployment a router routes for, and how long an announcement may live. */
export interface AnnouncementTerms {
  readonly chainId: bigint;
  /** Lower case. */
  readonly modelRegistry: Address;
  /** Lower case. */
  readonly paymentChannels: Address;
  /** Longest an announcement may be valid for (`expiresAt − issuedAt`), in seconds. */
  readonly maxTtlS: bigint;
  /** How far in the future `issuedAt` may be (clock skew), in seconds. */
  readonly clockSkewS: bigint;
  /** How long the endpoint's `/v1/model` and `/ready` may take, in milliseconds. */
  readonly probeTimeoutMs: number;
}

/** An announcement that checks out, with what the checks read. */
export interface Admission {
  readonly info: ServedModelInfo;
  readonly standing: ProviderStanding;
  /** How long the endpoint's `/v1/model` took, in milliseconds: the first latency estimate. */
  readonly latencyMs: number;
  /** Whether its `/ready` answered 200. */
  readonly ready: boolean;
}

const refuse = (code: string, status: number, message: string, details: Record<string, unknown> = {}) =>
  new RouterRefusedError(code, status, message, details);

/**
 * Checks an announcement before the router routes to it, in this order: the signature is the announced provider's
 * under this chain's and ModelRegistry's EIP-712 domain (`ANNOUNCEMENT_BAD_SIGNATURE`, 401); it is not expired at
 * `now` (`ANNOUNCEMENT_EXPIRED`), not issued in the future (`ANNOUNCEMENT_NOT_YET_VALID`) and valid for at most
 * `maxTtlS` (`ANNOUNCEMENT_TOO_LONG`); the provider may serve the model now (`RegistryReader.standing`: known,
 * active, provider or licensee, staked); and the endpoint's own `GET /v1/model` names the same provider, model,
 * hash, chain, contracts, token and price (`ENDPOINT_MISMATCH`, `ENDPOINT_UNREACHABLE`).
 */
export async function checkAnnouncement(
  announcement: SignedProviderAnnouncement,
  context: {
    readonly terms: AnnouncementTerms;
    readonly reader: RegistryReader;
    readonly now: bigint;
    /** Called once the signature is the provider's, before anything else is checked (the rate limit counts it). */
    readonly signed?: () => Promise<void>;
  },
): Promise<Admission> {
  const { terms, reader, now } = context;
  const { provider, modelId } = announcement;
  let signer: string;
  try {
    signer = recoverAnnouncementSigner({ chainId: terms.chainId, modelRegistry: terms.modelRegistry }, announcement);
  } catch (error) {
    if (!(error instanceof InvalidSignatureError)) throw error;
    signer = "nobody";
  }
  if (signer !== provider) {
    throw refuse(
      "ANNOUNCEMENT_BAD_SIGNATURE",
      401,
      `the announcement is not signed by ${provider} for chain ${terms.chainId} and ModelRegistry ${terms.modelRegistry}`,
    );
  }
  await context.signed?.();
  if (announcement.expiresAt <= now) {
    throw refuse("ANNOUNCEMENT_EXPIRED", 400, `the announcement expired at ${announcement.expiresAt} (now ${now})`);
  }
  if (announcement.issuedAt > now + terms.clockSkewS) {
    throw refuse(
      "ANNOUNCEMENT_NOT_YET_VALID",
      400,
      `the announcement is issued at ${announcement.issuedAt} (now ${now})`,
    );
  }
  if (announcement.expiresAt - announcement.issuedAt > terms.maxTtlS) {
    throw refuse(
      "ANNOUNCEMENT_TOO_LONG",
      400,
      `the announcement is valid for ${announcement.expiresAt - announcement.issuedAt} s; this router takes at most ${terms.maxTtlS} s: announce again before it expires`,
    );
  }
  const standing = await reader.standing(modelId, provider);
  const started = performance.now();
  const info = await probe(announcement.endpoint, "/v1/model", terms.probeTimeoutMs).then(
    (json) => parseInput(ServedModelInfoSchema, json, `${announcement.endpoint}/v1/model`),
    (error: unknown) => {
      throw refuse(
        "ENDPOINT_UNREACHABLE",
        502,
        `${announcement.endpoint}/v1/model did not answer: ${(error as Error).message}`,
      );
    },
  );
  const latencyMs = performance.now() - started;
  const expected: Record<string, string> = {
    provider,
    modelId: modelId.toString(),
    modelHash: standing.modelHash,
    chainId: terms.chainId.toString(),
    modelRegistry: terms.modelRegistry,
    paymentChannels: terms.paymentChannels,
    paymentToken: standing.paymentToken,
    pricePerExample: announcement.pricePerExample.toString(),
  };
  const differences = Object.entries(expected).filter(([key, value]) => info[key as keyof ServedModelInfo] !== value);
  if (differences.length > 0) {
    throw refuse(
      "ENDPOINT_MISMATCH",
      400,
      `${announcement.endpoint} serves ${differences.map(([key]) => `${key} ${String(info[key as keyof ServedModelInfo])}`).join(", ")}, not ${differences.map(([key, value]) => `${key} ${value}`).join(", ")}`,
    );
  }
  const ready = await probe(announcement.endpoint, "/ready", terms.probeTimeoutMs).then(
    () => true,
    () => false,
  );
  return { info, standing, latencyMs, ready };
}

/** GETs `endpoint + path` and returns its JSON; throws unless the answer is a 200 within `timeoutMs`. */
export async function probe(endpoint: string, path: string, timeoutMs: number): Promise<unknown> {
  const response = await request(`${endpoint}${path}`, {
    method: "GET",
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
    signal: AbortSignal.timeout(timeoutMs),
  });
  const json = await response.body.json();
  if (response.statusCode !== 200) throw new Error(`HTTP ${response.statusCode}`);
  return json;
}
