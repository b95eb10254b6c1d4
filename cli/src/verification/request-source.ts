import { type Bytes32, REQUESTS_PATH, TributaryError } from "@tributary/protocol";
import { sha256 } from "ethers";

/** The request bytes of a task's input, and where they came from; or why none could be had. */
export type FetchedRequest =
  | { readonly bytes: Uint8Array; readonly from: string }
  | { readonly bytes?: undefined; readonly problems: readonly string[] };

/**
 * Where a challenger or committee member gets a task's request: the canonical request bytes by `requestHash`
 * (`GET <base>/v1/requests/<hash>`) from the provider, or from a buyer serving its request store, tried in order.
 * Bytes that do not hash to the task's `inputHash` are refused, so no source needs to be trusted.
 */
export class RequestSource {
  constructor(
    readonly bases: readonly string[],
    private readonly fetchImpl: typeof fetch = globalThis.fetch,
    private readonly timeoutMs = 10_000,
  ) {
    if (bases.length === 0) throw new TributaryError("INVALID_INPUT", "give at least one place to fetch requests from");
  }

  async fetch(requestHash: Bytes32): Promise<FetchedRequest> {
    const problems: string[] = [];
    for (const base of this.bases) {
      const url = `${base.replace(/\/+$/, "")}${REQUESTS_PATH}/${requestHash}`;
      try {
        const response = await this.fetchImpl(url, { signal: AbortSignal.timeout(this.timeoutMs) });
        if (!response.ok) {
          problems.push(`${url}: HTTP ${response.status}`);
          continue;
        }
        const bytes = new Uint8Array(await response.arrayBuffer());
        const actual = sha256(bytes);
        if (actual !== requestHash.toLowerCase()) {
          problems.push(`${url}: the bytes hash to ${actual}`);
          continue;
        }
        return { bytes, from: base };
      } catch (error) {
        problems.push(`${url}: ${(error as Error).message}`);
      }
    }
    return { problems };
  }
}
