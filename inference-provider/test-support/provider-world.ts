import { LocalChain } from "@tributary/contracts/local-chain";
import {
  connectModelRegistry,
  connectPaymentChannels,
  connectStaking,
  connectTributaryToken,
} from "@tributary/contracts/typed";
import { buildModel, getFlatWeights, initModelBackend } from "@tributary/model-runtime";
import { type ModelSpec, ModelSpecSchema, tensorHash } from "@tributary/protocol";
import type { JsonRpcProvider, Wallet } from "ethers";
import {
  type ProviderService,
  type ProviderServiceOptions,
  type RegisteredModel,
  startProviderService,
} from "../src/provider-service.js";

const E18 = 10n ** 18n;

/** A small real model: 2×3 inputs, flattened, a ReLU layer of 5 and a softmax over 3 classes. */
export const WORLD_SPEC: ModelSpec = ModelSpecSchema.parse({
  inputShape: [2, 3],
  layers: [
    { type: "flatten" },
    { type: "dense", units: 5, activation: "relu" },
    { type: "dense", units: 3, activation: "softmax" },
  ],
  loss: "categoricalCrossentropy",
  numClasses: 3,
});

/** A chain with a provider whose model is registered on ModelRegistry, and a buyer holding TRIB. */
export interface ProviderWorld {
  readonly chain: LocalChain;
  readonly rpc: JsonRpcProvider;
  readonly providerWallet: Wallet;
  readonly buyer: Wallet;
  readonly model: RegisteredModel;
  readonly addresses: { readonly modelRegistry: string; readonly paymentChannels: string; readonly token: string };
  /** Opens a channel from `from` (default the buyer) to `to` (default the provider); returns its id. */
  openChannel(options?: {
    from?: Wallet;
    to?: string;
    deposit?: bigint;
    expiresIn?: bigint;
    token?: string;
  }): Promise<bigint>;
  /** Moves the chain's clock by `seconds` and mines a block. */
  advance(seconds: bigint): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Starts a provider of `model` paid through `chain`'s deployment to `providerWallet`, read through `rpc`, on a free
 * port, keeping vouchers in `stateDir`. Test defaults unless `options` say otherwise: batches of 32 waiting 2 ms, 16
 * examples per request, 64 KiB bodies, channels read afresh for each request.
 */
export function serveOnChain(
  chain: LocalChain,
  rpc: JsonRpcProvider,
  providerWallet: Wallet,
  model: RegisteredModel,
  stateDir: string,
  options: Partial<ProviderServiceOptions> = {},
): Promise<ProviderService> {
  const { contracts } = chain.system.deployment;
  return startProviderService({
    model,
    chainId: BigInt(chain.chainId),
    modelRegistry: contracts.ModelRegistry.toLowerCase(),
    channels: connectPaymentChannels(contracts.PaymentChannels, rpc),
    chain: rpc,
    privateKey: providerWallet.privateKey,
    address: providerWallet.address,
    stateDir,
    host: "127.0.0.1",
    port: 0,
    maxBatch: 32,
    maxWaitMs: 2,
    maxExamplesPerRequest: 16,
    bodyLimit: 64 * 1024,
    channelTtlMs: 0,
    expiryMarginS: 60n,
    ...options,
  });
}

/** The world's provider (`serveOnChain` with the world's chain, key and model). */
export function serveWorld(
  world: ProviderWorld,
  stateDir: string,
  options: Partial<ProviderServiceOptions> = {},
): Promise<ProviderService> {
  return serveOnChain(world.chain, world.rpc, world.providerWallet, world.model, stateDir, options);
}

/** Weights of `WORLD_SPEC` drawn with `seed` (Glorot-uniform kernels; biases set so that none is zero). */
export async function worldWeights(seed: number): Promise<Float32Array> {
  await initModelBackend({ prefer: ["wasm"], log: () => {} });
  const model = buildModel(WORLD_SPEC, { seed });
  const weights = getFlatWeights(model);
  model.dispose();
  // Non-zero biases, so a test notices a bias that is dropped.
  for (const index of [30, 31, 32, 33, 34, 50, 51, 52]) weights[index] = 0.05 * ((index % 5) - 2);
  return weights;
}

/** Registers a model of `weights` served by `provider` at `pricePerToken`; the provider stakes the minimum. */
export async function registerModel(
  chain: LocalChain,
  provider: Wallet,
  weights: Float32Array,
  pricePerToken: bigint,
): Promise<RegisteredModel> {
  const rpc = chain.provider();
  const { contracts } = chain.system.deployment;
  const signer = provider.connect(rpc);
  const registry = connectModelRegistry(contracts.ModelRegistry, signer);
  const { minModelStake } = await registry.parameters();
  await (
    await connectTributaryToken(contracts.TributaryToken, signer).approve(contracts.Staking, minModelStake)
  ).wait();
  await (await connectStaking(contracts.Staking, signer).stake(minModelStake)).wait();
  const modelHash = tensorHash(weights);
  await (
    await registry.registerModel({
      modelHash,
      modelURI: "ipfs://model",
      endpoint: "http://127.0.0.1",
      pricePerToken,
      licensePrice: 0n,
      paymentToken: contracts.TributaryToken,
      jobId: 0n,
      stake: minModelStake,
    })
  ).wait();
  const modelId = await registry.modelCount();
  rpc.destroy();
  return {
    modelId,
    modelHash,
    spec: WORLD_SPEC,
    weights,
    pricePerExample: pricePerToken,
    paymentToken: contracts.TributaryToken.toLowerCase(),
  };
}

export async function startProviderWorld(options: { pricePerToken?: bigint } = {}): Promise<ProviderWorld> {
  const chain = await LocalChain.start();
  const rpc = chain.provider();
  const { contracts } = chain.system.deployment;
  const [providerWallet, buyer] = (await chain.fundedWallets(2, { tokens: 10_000n * E18 })) as [Wallet, Wallet];
  const model = await registerModel(chain, providerWallet, await worldWeights(7), options.pricePerToken ?? 1_000n);
  return {
    chain,
    rpc,
    providerWallet,
    buyer,
    model,
    addresses: {
      modelRegistry: contracts.ModelRegistry.toLowerCase(),
      paymentChannels: contracts.PaymentChannels.toLowerCase(),
      token: contracts.TributaryToken.toLowerCase(),
    },
    async openChannel(open = {}) {
      const from = (open.from ?? buyer).connect(rpc);
      const deposit = open.deposit ?? 1_000_000n;
      const token = open.token ?? contracts.TributaryToken;
      await (await connectTributaryToken(token, from).approve(contracts.PaymentChannels, deposit)).wait();
      const block = await rpc.getBlock("latest");
      const expiry = BigInt(block?.timestamp ?? 0) + (open.expiresIn ?? 86_400n);
      const channels = connectPaymentChannels(contracts.PaymentChannels, from);
      await (await channels.open(open.to ?? providerWallet.address, token, deposit, expiry)).wait();
      return channels.channelCount();
    },
    async advance(seconds) {
      await chain.rpc("evm_increaseTime", [Number(seconds)]);
      await chain.rpc("evm_mine");
    },
    async stop() {
      rpc.destroy();
      await chain.stop();
    },
  };
}

/** Serves `model` as `wallet` on 127.0.0.1 (a free port), paid on `chain`'s PaymentChannels, vouchers in `stateDir`. */
export function serveModel(
  options: {
    readonly chain: LocalChain;
    readonly rpc: JsonRpcProvider;
    readonly wallet: Wallet;
    readonly model: RegisteredModel;
    readonly stateDir: string;
  } & Partial<Omit<ProviderServiceOptions, "model" | "stateDir" | "chain">>,
): Promise<ProviderService> {
  const { chain, rpc, wallet, model, stateDir, ...rest } = options;
  return serveOnChain(chain, rpc, wallet, model, stateDir, rest);
}
