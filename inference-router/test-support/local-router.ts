import type { LocalChain } from "@tributary/contracts/local-chain";
import { connectModelRegistry, connectStaking } from "@tributary/contracts/typed";
import type { Address } from "@tributary/protocol";
import type { JsonRpcProvider } from "ethers";
import { type RouterService, type RouterServiceOptions, startRouterService } from "../src/router-service.js";

/** A router on 127.0.0.1 (a free port) following `chain`'s deployment, read through `rpc`; `overrides` as given. */
export function startLocalRouter(
  chain: LocalChain,
  rpc: JsonRpcProvider,
  overrides: Partial<RouterServiceOptions> = {},
): Promise<RouterService> {
  const { contracts } = chain.system.deployment;
  return startRouterService({
    chainId: BigInt(chain.chainId),
    modelRegistry: connectModelRegistry(contracts.ModelRegistry, rpc),
    staking: connectStaking(contracts.Staking, rpc),
    paymentChannels: contracts.PaymentChannels.toLowerCase() as Address,
    host: "127.0.0.1",
    port: 0,
    healthIntervalMs: 1_000,
    healthTimeoutMs: 1_000,
    standingIntervalMs: 5_000,
    attemptTimeoutMs: 5_000,
    maxAnnouncementTtlS: 3_600,
    connectionsPerProvider: 16,
    bodyLimit: 1 << 20,
    slashesFromBlock: chain.system.deployment.startBlock,
    ...overrides,
  });
}
