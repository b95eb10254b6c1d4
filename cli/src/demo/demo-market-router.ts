import type { ProviderService } from "@tributary/inference-provider";
import { type RouterService, startRouterService } from "@tributary/inference-router";
import type { Address } from "@tributary/protocol";
import type { Wallet } from "ethers";
import type { ChainSession } from "../chain/chain-session.js";
import type { Output } from "../chain/output.js";
import { RouterAnnouncer } from "../provider/router-announcer.js";

/** The demo's task router with its providers announced to it. `close()` stops both announcing and routing. */
export interface DemoRoute {
  readonly url: string;
  readonly router: RouterService;
  close(): Promise<void>;
}

/** How long the provider's announcements are valid: `provider serve --announce-ttl`'s default. */
const ANNOUNCEMENT_TTL_S = 600;

/** A provider's running service and the listing it announces. */
export interface AnnouncedProvider {
  readonly wallet: Wallet;
  readonly service: ProviderService;
  readonly modelId: bigint;
  readonly pricePerExample: bigint;
  readonly out: Output;
}

/**
 * Starts a task router as `router serve` does (same service, checked against the session's ModelRegistry, Staking
 * and PaymentChannels, on a free port; each provider's standing on chain read again every `standingIntervalMs`) and
 * announces each provider's running service to it as `provider serve --router` does (signed with the provider's
 * key, renewed until closed). The router admits an announcement only after reading the provider's listing and stake
 * on chain and probing its endpoint.
 */
export async function routeThroughRouter(input: {
  readonly session: ChainSession;
  readonly providers: readonly AnnouncedProvider[];
  readonly routerOut: Output;
  readonly standingIntervalMs?: number;
}): Promise<DemoRoute> {
  const { session } = input;
  const router = await startRouterService({
    chainId: session.chainId,
    modelRegistry: await session.contract("ModelRegistry"),
    staking: await session.contract("Staking"),
    paymentChannels: (await session.address("PaymentChannels")).toLowerCase() as Address,
    slashesFromBlock: (await session.deployment()).deployment.startBlock,
    host: "127.0.0.1",
    port: 0,
    healthIntervalMs: 1_000,
    healthTimeoutMs: 1_000,
    standingIntervalMs: input.standingIntervalMs ?? 5_000,
    attemptTimeoutMs: 10_000,
    maxAnnouncementTtlS: 3_600,
    connectionsPerProvider: 64,
    bodyLimit: 4 * 1024 * 1024,
  });
  input.routerOut.say(`routing at ${router.url} (tributary router serve, in this process)`);
  const announcers: RouterAnnouncer[] = [];
  const stop = async () => {
    for (const announcer of announcers) announcer.stop();
    await router.close();
  };
  try {
    for (const provider of input.providers) {
      announcers.push(
        await RouterAnnouncer.start(provider.out, provider.wallet, {
          router: router.url,
          deployment: { chainId: session.chainId, modelRegistry: provider.service.info.modelRegistry },
          modelId: provider.modelId,
          endpoint: provider.service.url,
          pricePerExample: provider.pricePerExample,
          ttlS: ANNOUNCEMENT_TTL_S,
        }),
      );
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return { url: router.url, router, close: stop };
}
