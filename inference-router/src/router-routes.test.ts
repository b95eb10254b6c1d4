import { LocalChain } from "@tributary/contracts/local-chain";
import { connectModelRegistry, connectStaking, connectTributaryToken } from "@tributary/contracts/typed";
import { type Address, PAYMENTS_HEADER, paymentsToHeader, signVoucher } from "@tributary/protocol";
import { id, type JsonRpcProvider, type Wallet } from "ethers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLocalRouter } from "../test-support/local-router.js";
import type { RouterService } from "./router-service.js";

let chain: LocalChain;
let rpc: JsonRpcProvider;
let buyer: Wallet;
let provider: Wallet;
let modelId: bigint;
let router: RouterService;

beforeAll(async () => {
  chain = await LocalChain.start();
  rpc = chain.provider();
  [provider, buyer] = (await chain.fundedWallets(2, { tokens: 10_000n * 10n ** 18n })) as [Wallet, Wallet];
  // A model listed by a staked provider that never announces itself to the router.
  const { contracts } = chain.system.deployment;
  const signer = provider.connect(rpc);
  const registry = connectModelRegistry(contracts.ModelRegistry, signer);
  const { minModelStake } = await registry.parameters();
  await (
    await connectTributaryToken(contracts.TributaryToken, signer).approve(contracts.Staking, minModelStake)
  ).wait();
  await (await connectStaking(contracts.Staking, signer).stake(minModelStake)).wait();
  const listing = {
    modelHash: id("weights"),
    modelURI: "ipfs://model",
    endpoint: "http://127.0.0.1:1",
    pricePerToken: 1_000n,
    licensePrice: 0n,
    paymentToken: contracts.TributaryToken,
    jobId: 0n,
    stake: minModelStake,
  };
  await (await registry.registerModel(listing)).wait();
  modelId = await registry.modelCount();
  router = await startLocalRouter(chain, rpc);
});

afterAll(async () => {
  await router?.close();
  rpc?.destroy();
  await chain?.stop();
});

async function call(method: "GET" | "POST", route: string, headers: Record<string, string> = {}, body?: string) {
  const response = await fetch(`${router.url}${route}`, {
    method,
    headers: { ...(body === undefined ? {} : { "content-type": "application/json" }), ...headers },
    ...(body === undefined ? {} : { body }),
  });
  const json = (await response.json()) as { error?: { code: string; message: string } };
  return { status: response.status, code: json.error?.code, message: json.error?.message ?? "" };
}

describe("the router's refusals", () => {
  const body = JSON.stringify({ requestId: `0x${"11".repeat(32)}`, inputs: [[[1, 2, 3]]] });

  it("refuses a prediction without vouchers, with a malformed voucher header, for an unknown model, with a bad query", async () => {
    expect(await call("POST", `/v1/models/${modelId}/predict`, {}, body)).toMatchObject({
      status: 402,
      code: "PAYMENT_REQUIRED",
    });
    const malformed = await call("POST", `/v1/models/${modelId}/predict`, { [PAYMENTS_HEADER]: "0x12=1:2" }, body);
    expect(malformed).toMatchObject({ status: 400, code: "INVALID_INPUT" });
    expect(malformed.message).toContain(PAYMENTS_HEADER);
    const { contracts } = chain.system.deployment;
    const deployment = { chainId: BigInt(chain.chainId), contract: contracts.PaymentChannels.toLowerCase() as Address };
    const voucher = await signVoucher(buyer, deployment, { channelId: 1n, amount: 1_000n });
    const payment = { provider: provider.address.toLowerCase() as Address, voucher };
    const offered = { [PAYMENTS_HEADER]: paymentsToHeader([payment]) };
    expect(await call("POST", "/v1/models/99/predict", offered, body)).toMatchObject({
      status: 404,
      code: "MODEL_UNKNOWN",
    });
    expect(await call("GET", `/v1/models/${modelId}/providers?prefer=speed`)).toMatchObject({
      status: 400,
      code: "INVALID_INPUT",
    });
    // A voucher for a provider the router has not admitted: nobody to send it to.
    expect(await call("POST", `/v1/models/${modelId}/predict`, offered, body)).toMatchObject({
      status: 503,
      code: "NO_PROVIDER",
    });
  });

  it("refuses an announcement that is not JSON or not an announcement", async () => {
    expect(await call("POST", "/v1/announcements", {}, "{")).toMatchObject({ status: 400, code: "INVALID_JSON" });
    const partial = await call("POST", "/v1/announcements", {}, JSON.stringify({ modelId: "1" }));
    expect(partial).toMatchObject({ status: 400, code: "INVALID_INPUT" });
    expect(partial.message).toMatch(/announcement\.provider/);
  });

  it("documents its routes and counts what it refused", async () => {
    const openapi = (await (await fetch(`${router.url}/openapi.json`)).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(openapi.paths).sort()).toEqual([
      "/health",
      "/metrics",
      "/ready",
      "/v1/announcements",
      "/v1/models/{modelId}/predict",
      "/v1/models/{modelId}/providers",
    ]);
    const metrics = await (await fetch(`${router.url}/metrics`)).text();
    expect(metrics).toMatch(/^tributary_router_requests_total\{status="503"\} 1$/m);
    expect(metrics).toMatch(/^tributary_router_providers\{eligible="true"\} 0$/m);
  });
});
