import { JsonRpcProvider, Network } from "ethers";
import { RpcUnreachableError } from "./ledger-errors.js";

const PROBE_TIMEOUT_MS = 15_000;

/**
 * A JSON-RPC provider on `url` with its chain id asked once up front (`RpcUnreachableError` if nothing answers):
 * ethers would otherwise retry network detection forever against a dead endpoint. The cache is off so a send
 * right after a read sees the latest nonce.
 */
export async function connectRpc(url: string): Promise<JsonRpcProvider> {
  let chainId: bigint;
  try {
    const response = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] }),
      signal: AbortSignal.timeout(PROBE_TIMEOUT_MS),
    });
    if (!response.ok) throw new Error(`HTTP ${response.status} ${response.statusText}`);
    const body = (await response.json()) as { result?: unknown; error?: { message?: unknown } };
    if (typeof body.result !== "string") {
      throw new Error(`eth_chainId failed: ${String(body.error?.message ?? "no result")}`);
    }
    chainId = BigInt(body.result);
  } catch (error) {
    throw new RpcUnreachableError(url, error);
  }
  return new JsonRpcProvider(url, undefined, {
    staticNetwork: Network.from(chainId),
    cacheTimeout: -1,
    batchMaxCount: 1,
  });
}
