import {
  type ProviderService,
  type ProviderServiceOptions,
  type RegisteredModel,
  startProviderService,
} from "@tributary/inference-provider";
import { type BACKEND_PREFERENCE, initModelBackend, type ModelBackendInfo } from "@tributary/model-runtime";
import type { Wallet } from "ethers";
import type { ChainSession } from "../chain/chain-session.js";
import type { Output } from "../chain/output.js";
import { loadRegisteredModel } from "./registered-model-files.js";

/** How `provider serve` serves: where it listens, how it batches, which requests and channels it takes. */
export interface ServeSettings {
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
  readonly maxBatch: number;
  readonly maxWaitMs: number;
  /** Most examples per request; capped at `maxBatch`. */
  readonly maxExamples: number;
  /** Largest request body in bytes. */
  readonly bodyLimit: number;
  readonly backend: "auto" | (typeof BACKEND_PREFERENCE)[number];
  /** How long a channel read from the chain is trusted. */
  readonly channelTtlMs: number;
  /** A channel this many seconds from its expiry is refused. */
  readonly expiryMarginS: number;
  /** Browser origins whose pages may call the provider (CORS): the portal's, for one. */
  readonly corsOrigins: readonly string[];
}

/** `provider serve`'s defaults (its flags show them). */
export const SERVE_DEFAULTS: ServeSettings = {
  host: "127.0.0.1",
  port: 8480,
  maxBatch: 32,
  maxWaitMs: 5,
  maxExamples: 32,
  bodyLimit: 4 * 1024 * 1024,
  backend: "auto",
  channelTtlMs: 5_000,
  expiryMarginS: 600,
  corsOrigins: [],
};

export interface ServingModel {
  readonly service: ProviderService;
  readonly model: RegisteredModel;
  readonly backend: ModelBackendInfo;
}

/**
 * `tributary provider serve`'s core: model `modelId` of ModelRegistry from the files in `modelDir`, checked against
 * the chain (`loadRegisteredModel`: the signer is its provider or a licensee, the weights hash to its `modelHash`, the
 * spec to its job's), on the chosen tfjs backend, served by the inference provider's HTTP service with the signer's
 * key, the vouchers it accepts kept in `stateDir`. The caller closes `service` (and redeems its store's vouchers).
 */
export async function serveRegisteredModel(
  out: Output,
  input: {
    readonly chain: ChainSession;
    readonly wallet: Wallet;
    readonly modelId: bigint;
    readonly modelDir: string;
    readonly stateDir: string;
    readonly settings: ServeSettings;
    /** The service's request and error log (`provider serve`: `serviceLogger`); default none. */
    readonly logger?: ProviderServiceOptions["logger"];
  },
): Promise<ServingModel> {
  const { chain, wallet, settings } = input;
  const model = await loadRegisteredModel(chain, input.modelId, input.modelDir, wallet.address);
  const backend = await initModelBackend({
    ...(settings.backend === "auto" ? {} : { prefer: [settings.backend] }),
    log: (line) => out.say(line),
  });
  const service = await startProviderService({
    model,
    chainId: chain.chainId,
    modelRegistry: await chain.address("ModelRegistry"),
    channels: await chain.contract("PaymentChannels"),
    chain: chain.provider,
    privateKey: wallet.privateKey,
    address: wallet.address,
    stateDir: input.stateDir,
    host: settings.host,
    port: settings.port,
    maxBatch: settings.maxBatch,
    maxWaitMs: settings.maxWaitMs,
    maxExamplesPerRequest: Math.min(settings.maxExamples, settings.maxBatch),
    bodyLimit: settings.bodyLimit,
    channelTtlMs: settings.channelTtlMs,
    expiryMarginS: BigInt(settings.expiryMarginS),
    ...(input.logger === undefined ? {} : { logger: input.logger }),
    corsOrigins: settings.corsOrigins,
  });
  return { service, model, backend };
}
