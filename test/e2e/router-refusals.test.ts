import type { RouterService } from "@tributary/inference-router";
import { type Address, PAYMENTS_HEADER, paymentsToHeader, signVoucher } from "@tributary/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ProviderWorld, startProviderWorld } from "../../inference-provider/test-support/provider-world.js";
import { startLocalRouter } from "../../inference-router/test-support/local-router.js";

// The router's own refusals, over HTTP, with a model listed on a local chain by a provider that never announces itself.

let world: ProviderWorld;
let modelId: bigint;
let router: RouterService;

beforeAll(async () => {
  world = await startProviderWorld();
  modelId = world.model.modelId;
  router = await startLocalRouter(world.chain, world.rpc);
});

afterAll(async () => {
  await router?.close();
  await world?.stop();
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
    const deployment = { chainId: BigInt(world.chain.chainId), contract: world.addresses.paymentChannels as Address };
    const voucher = await signVoucher(world.buyer, deployment, { channelId: 1n, amount: 1_000n });
    const payment = { provider: world.providerWallet.address.toLowerCase() as Address, voucher };
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
