import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import {
  connectModelRegistry,
  connectOptimisticVerifier,
  connectPaymentChannels,
  connectStaking,
  connectTributaryToken,
} from "@tributary/contracts/typed";
import type { RouterService } from "@tributary/inference-router";
import { Command } from "commander";
import type { Wallet } from "ethers";
import { vi } from "vitest";
import { startLocalRouter } from "../../inference-router/test-support/local-router.js";
import { DirectoryRequestStore, serveRequestStore } from "../src/buyer/directory-request-store.js";
import { registerProviderCommand } from "../src/commands/provider.js";
import { readVerificationRecords, type VerificationRecord } from "../src/verification/verification-record.js";
import { captured, type Ran } from "./run-tributary.js";
import { freePort, type ServedModelWorld, startServedModelWorld, until } from "./served-model-world.js";

const E18 = 10n ** 18n;

/**
 * A `ServedModelWorld` (a model registered and staked by its provider, a buyer holding TRIB) with what verified
 * inference needs around it: a router, a challenger holding TRIB for its bond, and a committee of three staked
 * members appointed by the deployer (the local chain's admin): the buyer itself and two others.
 */
export interface VerificationWorld extends ServedModelWorld {
  readonly router: RouterService;
  readonly challenger: Wallet;
  readonly members: readonly [Wallet, Wallet];
  /** `--rpc` and `--deployment` of the world's chain. */
  readonly chainFlags: readonly string[];
  /** Opens a channel of `deposit` from the buyer to the provider; returns its id. */
  openChannel(deposit: bigint): Promise<bigint>;
  /** Moves the chain's clock by `seconds` and mines a block. */
  advance(seconds: number): Promise<void>;
  stop(): Promise<void>;
}

async function stake(world: ServedModelWorld, wallet: Wallet, amount: bigint): Promise<void> {
  const signer = wallet.connect(world.rpc);
  const { contracts } = world.chain.system.deployment;
  await (await connectTributaryToken(contracts.TributaryToken, signer).approve(contracts.Staking, amount)).wait();
  await (await connectStaking(contracts.Staking, signer).stake(amount)).wait();
}

export async function startVerificationWorld(seed: number, price: bigint): Promise<VerificationWorld> {
  const world = await startServedModelWorld(seed, price);
  const { chain, rpc, deployed } = world;
  const { contracts } = chain.system.deployment;
  const [challenger, ...members] = await chain.fundedWallets(3, { tokens: 1_000n * E18 });
  const committee = [world.buyer, ...members] as Wallet[];
  const verifier = connectOptimisticVerifier(contracts.OptimisticVerifier, chain.deployer);
  const { minCommitteeStake } = await verifier.parameters();
  for (const member of committee) {
    await stake(world, member, minCommitteeStake);
    await (await verifier.setCommitteeMember(member.address, true)).wait();
  }
  const router = await startLocalRouter(chain, rpc);
  return {
    ...world,
    router,
    challenger: challenger as Wallet,
    members: members as [Wallet, Wallet],
    chainFlags: ["--rpc", chain.url, "--deployment", deployed.deploymentFile],
    async openChannel(deposit) {
      const signer = world.buyer.connect(rpc);
      await (
        await connectTributaryToken(contracts.TributaryToken, signer).approve(contracts.PaymentChannels, deposit)
      ).wait();
      const channels = connectPaymentChannels(contracts.PaymentChannels, signer);
      const now = BigInt((await rpc.getBlock("latest"))?.timestamp ?? 0);
      await (
        await channels.open(world.providerWallet.address, contracts.TributaryToken, deposit, now + 30n * 86_400n)
      ).wait();
      return channels.channelCount();
    },
    async advance(seconds) {
      await chain.rpc("evm_increaseTime", [seconds]);
      await chain.rpc("evm_mine");
    },
    async stop() {
      await router.close();
      await deployed.stop();
    },
  };
}

/** A `provider serve` running in process; `stop()` ends it and returns what it printed (`--json`) and its code. */
export interface RunningProvider {
  readonly url: string;
  stop(): Promise<Ran>;
}

/**
 * Runs `tributary provider serve --submit-results --router … --json` for the world's model as its provider, in
 * process, on a free port, with `testOnlyFalsifyResult` (the code-only hook) when given. Its output is not captured
 * while it runs (other commands are captured meanwhile); `stop()` captures its final JSON line. Resolves once the
 * router lists it as healthy.
 */
export async function serveWithTasks(
  world: VerificationWorld,
  options: { readonly testOnlyFalsifyResult?: (taskId: bigint) => boolean } = {},
): Promise<RunningProvider> {
  vi.stubEnv("TRIBUTARY_PROVIDER_KEY", world.providerWallet.privateKey);
  const port = await freePort();
  const stateDir = await mkdtemp(path.join(tmpdir(), "tributary-provider-tasks-"));
  let stop = () => {};
  const stopped = new Promise<void>((resolve) => {
    stop = resolve;
  });
  const program = new Command().exitOverride();
  registerProviderCommand(program, { stop: stopped, ...options });
  const args = [
    ...["serve", "--model", String(world.model.modelId), "--model-dir", world.modelDir, "--backend", "wasm"],
    ...["--port", String(port), "--state-dir", stateDir, "--router", world.router.url, "--json"],
    ...["--submit-results", "--tasks-interval-ms", "200", "--channel-ttl-ms", "0", ...world.chainFlags],
  ];
  let finished: Promise<unknown> | undefined;
  const done = new Promise<void>((resolve) => {
    finished = program.parseAsync(["node", "tributary", "provider", ...args]).finally(resolve);
  });
  const modelId = world.model.modelId;
  await until(async () => {
    const listed = (await (await fetch(`${world.router.url}/v1/models/${modelId}/providers`)).json()) as {
      providers?: { healthy: boolean }[];
    };
    return listed.providers?.some((provider) => provider.healthy) === true;
  });
  return {
    url: `http://127.0.0.1:${port}`,
    stop: () =>
      captured(async () => {
        stop();
        await done;
        await finished;
      }),
  };
}

/** Writes `examples` as a `--input` file in `dir`; returns its path. */
export async function inputFile(dir: string, examples: unknown[]): Promise<string> {
  const file = path.join(dir, "input.json");
  await writeFile(file, JSON.stringify(examples));
  return file;
}

/** Serves the buyer's request store in `dir` (as `model serve-requests` does) on a free port of 127.0.0.1. */
export async function serveBuyerRequests(dir: string): Promise<{ url: string; close(): Promise<void> }> {
  return serveRequestStore(await DirectoryRequestStore.open(dir), { host: "127.0.0.1", port: 0 });
}

/** Every model's verification record on the world's chain, its events read `chunk` blocks at a time. */
export async function recordsInChunks(
  world: VerificationWorld,
  chunk: number,
): Promise<Map<string, VerificationRecord>> {
  const { contracts, startBlock } = world.chain.system.deployment;
  return readVerificationRecords({
    provider: world.rpc,
    verifier: connectOptimisticVerifier(contracts.OptimisticVerifier, world.rpc),
    models: connectModelRegistry(contracts.ModelRegistry, world.rpc),
    fromBlock: startBlock,
    chunk,
  });
}
