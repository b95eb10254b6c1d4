import { randomUUID } from "node:crypto";
import path from "node:path";
import fastifyCors from "@fastify/cors";
import fastifySwagger from "@fastify/swagger";
import type { PaymentChannels } from "@tributary/contracts/typed";
import { observeFastifyRequests } from "@tributary/observability";
import type { Bytes32, ModelSpec, ServedModelInfo } from "@tributary/protocol";
import type { Provider } from "ethers";
import Fastify, { type FastifyBaseLogger } from "fastify";
import { ChannelBook } from "./channel-book.js";
import { DynamicBatcher } from "./dynamic-batcher.js";
import { PaymentDesk } from "./payment-desk.js";
import { ProviderMetrics } from "./provider-metrics.js";
import { registerProviderRoutes } from "./provider-routes.js";
import { ReceiptSigner } from "./receipt-signer.js";
import { REQUEST_LOG_DEFAULTS, RequestLog, type RequestLogLimits } from "./request-log.js";
import { loadServedModel } from "./served-model.js";
import { VoucherLedger } from "./voucher-ledger.js";
import { VoucherStore } from "./voucher-store.js";

/** A model checked against ModelRegistry: its id, hash, architecture, weights and price. */
export interface RegisteredModel {
  readonly modelId: bigint;
  readonly modelHash: Bytes32;
  readonly spec: ModelSpec;
  readonly weights: Float32Array;
  /** ModelRegistry's `pricePerToken`: one example is one token. */
  readonly pricePerExample: bigint;
  /** Lower case. */
  readonly paymentToken: string;
}

export interface ProviderServiceOptions {
  readonly model: RegisteredModel;
  readonly chainId: bigint;
  readonly modelRegistry: string;
  /** PaymentChannels, connected to a provider that reads the chain. */
  readonly channels: PaymentChannels;
  readonly chain: Provider;
  /** The provider's private key: it signs receipts, and the channels must pay its address. */
  readonly privateKey: string;
  readonly address: string;
  /** Where the accepted vouchers and the verifiable requests (`requests-<chainId>-<provider>/`) are kept. */
  readonly stateDir: string;
  /** How many verifiable requests are kept, and for how long (default `REQUEST_LOG_DEFAULTS`). */
  readonly requestLog?: RequestLogLimits;
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
  readonly maxBatch: number;
  readonly maxWaitMs: number;
  readonly maxExamplesPerRequest: number;
  /** Largest request body in bytes. */
  readonly bodyLimit: number;
  /** How long a channel read is trusted, in milliseconds. */
  readonly channelTtlMs: number;
  readonly expiryMarginS: bigint;
  /** A pino logger (`createLogger`) for request and error lines; `true`: Fastify's own; default none. */
  readonly logger?: boolean | FastifyBaseLogger;
  /**
   * Browser origins (`scheme://host:port`) whose pages may call this provider (CORS), e.g. the portal's; none by
   * default, so browsers on other origins are refused while scripts and servers are not affected.
   */
  readonly corsOrigins?: readonly string[];
}

/** A running provider. `close()` stops taking requests, answers those in flight and writes the vouchers. */
export interface ProviderService {
  readonly url: string;
  readonly info: ServedModelInfo;
  readonly store: VoucherStore;
  /** The verifiable requests answered (for the task responder). */
  readonly requests: RequestLog;
  close(): Promise<void>;
}

/**
 * Starts the provider's HTTP service (Fastify, documented at `/openapi.json`): the model on the process's tfjs
 * backend, on a thread of its own, dynamic batching, input checks, receipts signed with the provider's key, vouchers checked off chain and
 * kept on disk. Readiness turns false as soon as `close()` starts; requests already in flight are answered (a
 * batch still filling runs at once) before the server stops.
 */
export async function startProviderService(options: ProviderServiceOptions): Promise<ProviderService> {
  const { model: registered } = options;
  const contract = (await options.channels.getAddress()).toLowerCase();
  const provider = options.address.toLowerCase();
  const model = await loadServedModel(registered.spec, registered.weights);
  const state = { ready: false, inFlight: 0 };
  const metrics = new ProviderMetrics(
    () => batcher.queuedExamples,
    () => state.inFlight,
    () => model.threadCpuSeconds(),
  );
  const batcher = new DynamicBatcher(
    (input, count) => model.predict(input, count),
    { input: model.inputSize, output: model.outputSize },
    { maxBatch: options.maxBatch, maxWaitMs: options.maxWaitMs, allocate: (floats) => model.inputBuffer(floats) },
    (examples, requests) => {
      metrics.batchSize.observe(examples);
      metrics.batchRequests.observe(requests);
    },
  );
  const store = await VoucherStore.open(options.stateDir, { chainId: options.chainId, contract, provider });
  const ledger = new VoucherLedger(
    {
      deployment: { chainId: options.chainId, contract: contract as `0x${string}` },
      provider,
      paymentToken: registered.paymentToken,
      expiryMarginS: options.expiryMarginS,
    },
    store.accounts,
  );
  const requests = await RequestLog.open(
    path.join(options.stateDir, `requests-${options.chainId}-${provider}`),
    options.requestLog ?? REQUEST_LOG_DEFAULTS,
  );
  const book = new ChannelBook(options.channels, options.chain, { ttlMs: options.channelTtlMs });
  const info: ServedModelInfo = {
    modelId: registered.modelId.toString(),
    modelHash: registered.modelHash,
    provider: provider as `0x${string}`,
    inputShape: [...model.inputShape],
    outputShape: [...model.outputShape],
    pricePerExample: registered.pricePerExample.toString(),
    paymentToken: registered.paymentToken as `0x${string}`,
    chainId: options.chainId.toString(),
    paymentChannels: contract as `0x${string}`,
    modelRegistry: options.modelRegistry.toLowerCase() as `0x${string}`,
    maxExamplesPerRequest: options.maxExamplesPerRequest,
    ...("unsupported" in model.deterministic ? {} : { deterministic: model.deterministic }),
  };
  const app = Fastify({
    ...(typeof options.logger === "object" ? { loggerInstance: options.logger } : { logger: options.logger ?? false }),
    bodyLimit: options.bodyLimit,
    return503OnClosing: true,
    requestIdHeader: "x-request-id",
    genReqId: () => randomUUID(),
  });
  observeFastifyRequests(app, metrics.requestDuration);
  // Bodies are parsed with protocol's zod schemas in the handlers; the JSON Schemas only document the routes.
  app.setValidatorCompiler(() => () => true);
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));
  if (options.corsOrigins !== undefined && options.corsOrigins.length > 0) {
    // The buyer's page sends JSON (a preflight) and reads the batch size header.
    await app.register(fastifyCors, {
      origin: [...options.corsOrigins],
      methods: ["GET", "POST"],
      exposedHeaders: ["x-tributary-batch-size"],
    });
  }
  await app.register(fastifySwagger, {
    openapi: {
      info: {
        title: "Tributary inference provider",
        version: "1",
        description: `Model ${info.modelId} (${info.modelHash})`,
      },
    },
  });
  registerProviderRoutes(app, {
    info,
    model,
    batcher,
    desk: new PaymentDesk(book, ledger),
    store,
    requests,
    signer: new ReceiptSigner(options.privateKey, { chainId: options.chainId, modelRegistry: info.modelRegistry }),
    metrics,
    state,
  });
  const address = await app.listen({ host: options.host, port: options.port });
  state.ready = true;
  let closing: Promise<void> | undefined;
  return {
    url: address,
    info,
    store,
    requests,
    close() {
      closing ??= (async () => {
        state.ready = false;
        const closed = app.close();
        await batcher.drain();
        await closed;
        await store.save();
        await model.dispose();
      })();
      return closing;
    },
  };
}
