import type { ProviderService } from "@tributary/inference-provider";
import { type RouterService, startRouterService } from "@tributary/inference-router";
import type { Address } from "@tributary/protocol";
import type { Wallet } from "ethers";
import type { ChainSession } from "../chain/chain-session.js";
import type { Output } from "../chain/output.js";
import { RouterAnnouncer } from "../provider/router-announcer.js";

/** The demo's task router with its one provider announced to it. `close()` stops both announcing and routing. */
export interface DemoRoute {
  readonly url: string;
  readonly router: RouterService;
  close(): Promise<void>;
}

/** How long the provider's announcements are valid: `provider serve --announce-ttl`'s default. */
const ANNOUNCEMENT_TTL_S = 600;

/**
 * Starts a task router as `router serve` does (same service, checked against the session's ModelRegistry, Staking
 * and PaymentChannels, on a free port) and announces the provider's running `service` to it as `provider serve
 * --router` does (signed with the provider's key, renewed until closed). The router admits the announcement only
 * after reading the provider's listing and stake on chain and probing its endpoint.
 */
export async function routeThroughRouter(input: {
  readonly session: ChainSession;
  readonly provider: Wallet;
  readonly service: ProviderService;
  readonly modelId: bigint;
  readonly pricePerExample: bigint;
  readonly routerOut: Output;
  readonly providerOut: Output;
}): Promise<DemoRoute> {
  const { session, service } = input;
  const router = await startRouterService({
    chainId: session.chainId,
    modelRegistry: await session.contract("ModelRegistry"),
    staking: await session.contract("Staking"),
    paymentChannels: (await session.address("PaymentChannels")).toLowerCase() as Address,
    host: "127.0.0.1",
    port: 0,
    healthIntervalMs: 1_000,
    healthTimeoutMs: 1_000,
    standingIntervalMs: 5_000,
    attemptTimeoutMs: 10_000,
    maxAnnouncementTtlS: 3_600,
    connectionsPerProvider: 64,
    bodyLimit: 4 * 1024 * 1024,
  });
  input.routerOut.say(`routing at ${router.url} (tributary router serve, in this process)`);
  let announcer: RouterAnnouncer;
  try {
    announcer = await RouterAnnouncer.start(input.providerOut, input.provider, {
      router: router.url,
      deployment: { chainId: session.chainId, modelRegistry: service.info.modelRegistry },
      modelId: input.modelId,
      endpoint: service.url,
      pricePerExample: input.pricePerExample,
      ttlS: ANNOUNCEMENT_TTL_S,
    });
  } catch (error) {
    await router.close();
    throw error;
  }
  return {
    url: router.url,
    router,
    async close() {
      announcer.stop();
      await router.close();
    },
  };
}
