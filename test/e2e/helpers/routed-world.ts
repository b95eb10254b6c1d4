import { mkdtemp } from "node:fs/promises";
import path from "node:path";
import { ChannelPayer, type RoutedChannel } from "@tributary/buyer";
import { connectOptimisticVerifier, connectPaymentChannels, connectTributaryToken } from "@tributary/contracts/typed";
import type { RegisteredModel } from "@tributary/inference-provider";
import type { RouterService } from "@tributary/inference-router";
import type { Address } from "@tributary/protocol";
import { id, type JsonRpcProvider, type Wallet } from "ethers";
import { type DeployedChain, startDeployedChain } from "../../../cli/test-support/deployed-chain.js";
import { writeModelDir } from "../../../cli/test-support/served-model-world.js";
import { envWithKey, serveArgs, TributaryProcess } from "../../../cli/test-support/tributary-process.js";
import { registerModel, WORLD_SPEC, worldWeights } from "../../../inference-provider/test-support/provider-world.js";
import { startLocalRouter } from "../../../inference-router/test-support/local-router.js";

const E18 = 10n ** 18n;

/** A provider process started by the world, and where it serves. */
export interface ServingProvider {
  readonly process: TributaryProcess;
  readonly url: string;
  readonly stateDir: string;
}

/**
 * A chain where three providers (A, B, C) each registered their own listing of the same weights at a different
 * price (1,000, 3,000 and 2,000 base units per example), C's listing with a reputation earned through the
 * OptimisticVerifier; a buyer holding TRIB; the weights in a model directory as `tributary job model` writes them;
 * and a router (in this process) following the deployment, whose health polls and standing reads the tests run.
 */
export class RoutedWorld {
  readonly processes: TributaryProcess[] = [];

  private constructor(
    readonly deployed: DeployedChain,
    readonly providers: readonly [Wallet, Wallet, Wallet],
    readonly buyer: Wallet,
    readonly models: readonly RegisteredModel[],
    readonly modelDir: string,
    readonly router: RouterService,
  ) {}

  static readonly PRICES = [1_000n, 3_000n, 2_000n] as const;
  /** The reputation C's listing earns. */
  static readonly REPUTATION = 3n;

  static async start(): Promise<RoutedWorld> {
    const deployed = await startDeployedChain();
    const { chain } = deployed;
    const wallets = await chain.fundedWallets(4, { tokens: 100_000n * E18 });
    const providers = wallets.slice(0, 3) as [Wallet, Wallet, Wallet];
    const buyer = wallets[3] as Wallet;
    const weights = await worldWeights(7);
    const models: RegisteredModel[] = [];
    for (const [index, provider] of providers.entries()) {
      models.push(await registerModel(chain, provider, weights, RoutedWorld.PRICES[index] as bigint));
    }
    await earnReputation(deployed, models[2] as RegisteredModel, providers[2], buyer, RoutedWorld.REPUTATION);
    const modelDir = path.join(deployed.dir, "model");
    await writeModelDir(modelDir, WORLD_SPEC, weights);
    // The tests poll health and read standings themselves, when they need to.
    const router = await startLocalRouter(chain, deployed.provider, {
      healthIntervalMs: 3_600_000,
      healthTimeoutMs: 500,
      standingIntervalMs: 3_600_000,
      attemptTimeoutMs: 2_000,
      // The announcement tests send A's announcement about ten times within a minute, all from this host.
      announcementLimits: { perProvider: 100, perIp: 600, windowMs: 60_000 },
    });
    return new RoutedWorld(deployed, providers, buyer, models, modelDir, router);
  }

  get rpc(): JsonRpcProvider {
    return this.deployed.provider;
  }

  get chainFlags(): string[] {
    return ["--rpc", this.deployed.chain.url, "--deployment", this.deployed.deploymentFile];
  }

  /**
   * Starts `tributary provider serve` for provider `index` (its own listing unless `modelId` is given) as a process
   * announcing itself to the router; resolves once it is admitted.
   */
  async startProvider(
    index: number,
    options: { maxWaitMs?: number; stateDir?: string; modelId?: bigint; wallet?: Wallet; modelDir?: string } = {},
  ): Promise<ServingProvider> {
    const wallet = options.wallet ?? (this.providers[index] as Wallet);
    const stateDir = options.stateDir ?? (await mkdtemp(path.join(this.deployed.dir, "provider-")));
    const modelId = options.modelId ?? (this.models[index] as RegisteredModel).modelId;
    const args = serveArgs({
      modelId,
      modelDir: options.modelDir ?? this.modelDir,
      stateDir,
      router: this.router.url,
      chainFlags: this.chainFlags,
      extra: ["--max-batch", "32", "--max-wait-ms", String(options.maxWaitMs ?? 1)],
    });
    const process = TributaryProcess.spawn(args, envWithKey("TRIBUTARY_PROVIDER_KEY", wallet.privateKey));
    this.processes.push(process);
    const [, url] = (await process.waitFor(/^serving model \d+ \(0x[0-9a-f]{64}\) at (\S+) as /)) as [string, string];
    await process.waitFor(/^announced to /);
    return { process, url, stateDir };
  }

  /** Opens `count` channels from the buyer to `provider`, each with a payer starting at zero. */
  async openChannels(provider: Wallet, count: number, deposit = 10n ** 9n): Promise<RoutedChannel[]> {
    const signer = this.buyer.connect(this.rpc);
    const { contracts } = this.deployed.chain.system.deployment;
    const token = connectTributaryToken(contracts.TributaryToken, signer);
    await (await token.approve(contracts.PaymentChannels, deposit * BigInt(count))).wait();
    const channels = connectPaymentChannels(contracts.PaymentChannels, signer);
    const expiry = BigInt((await this.rpc.getBlock("latest"))?.timestamp ?? 0) + 30n * 86_400n;
    const deployment = {
      chainId: BigInt(this.deployed.chain.chainId),
      contract: contracts.PaymentChannels.toLowerCase() as Address,
    };
    const opened: RoutedChannel[] = [];
    for (let index = 0; index < count; index++) {
      await (await channels.open(provider.address, contracts.TributaryToken, deposit, expiry)).wait();
      const channelId = await channels.channelCount();
      opened.push({ provider: provider.address, payer: new ChannelPayer(this.buyer, deployment, channelId) });
    }
    return opened;
  }

  /** What PaymentChannels has paid the provider of `channelId`. */
  async paid(channelId: bigint): Promise<bigint> {
    const { contracts } = this.deployed.chain.system.deployment;
    return (await connectPaymentChannels(contracts.PaymentChannels, this.rpc).getChannel(channelId)).paid;
  }

  async stop(): Promise<void> {
    for (const process of this.processes) await process.stop("SIGKILL");
    await this.router.close();
    await this.deployed.stop();
  }
}

/**
 * `times` inference tasks on `model` through the OptimisticVerifier, each answered by its provider and finalised
 * undisputed after the dispute window: each is recorded on ModelRegistry as a correct outcome (+1 reputation).
 */
async function earnReputation(
  deployed: DeployedChain,
  model: RegisteredModel,
  provider: Wallet,
  requester: Wallet,
  times: bigint,
): Promise<void> {
  const { chain, provider: rpc } = deployed;
  const { contracts } = chain.system.deployment;
  const payment = 10n * E18;
  await (
    await connectTributaryToken(contracts.TributaryToken, requester.connect(rpc)).approve(
      contracts.OptimisticVerifier,
      payment * times,
    )
  ).wait();
  const asRequester = connectOptimisticVerifier(contracts.OptimisticVerifier, requester.connect(rpc));
  const asProvider = connectOptimisticVerifier(contracts.OptimisticVerifier, provider.connect(rpc));
  const tasks: bigint[] = [];
  for (let task = 0n; task < times; task++) {
    await (await asRequester.createTask(model.modelId, id(`input ${task}`), contracts.TributaryToken, payment)).wait();
    const taskId = await asRequester.taskCount();
    await (await asProvider.submitResult(taskId, id(`answer ${task}`))).wait();
    tasks.push(taskId);
  }
  const { disputeWindow } = await asRequester.parameters();
  await chain.rpc("evm_increaseTime", [Number(disputeWindow) + 1]);
  await chain.rpc("evm_mine");
  for (const taskId of tasks) await (await asRequester.finalizeTask(taskId)).wait();
}
