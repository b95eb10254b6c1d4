import {
  ANSWERED_BY_HEADER,
  ATTEMPTS_HEADER,
  type InferenceResponse,
  InferenceResponseSchema,
  type OfferedPayment,
  PAYMENTS_HEADER,
  parseInput,
  paymentsToHeader,
  type RouteAttempt,
  RouteAttemptsSchema,
  type RoutedModel,
  RoutedModelSchema,
  type RoutePreference,
  type ServedModelInfo,
} from "@tributary/protocol";
import type { ChannelPayer } from "./channel-payer.js";
import { batchSizeOf, type PersistPayers, type Prediction } from "./inference-client.js";
import { newRequestId, ProviderRefusedError, refusalOf } from "./provider-refusal.js";
import { checkReceipt } from "./receipt-check.js";

type Fetch = typeof fetch;

/** A channel of the buyer's and the provider it pays (as PaymentChannels holds it). */
export interface RoutedChannel {
  readonly provider: string;
  readonly payer: ChannelPayer;
}

/** How a router weighs its providers for this client: `?prefer=`, or explicit weights. */
export interface RouteChoice {
  readonly prefer?: RoutePreference;
  readonly weights?: { readonly price: number; readonly latency: number; readonly reputation: number };
}

/** A prediction through a router, with the attempts that failed before it. */
export interface RoutedPrediction extends Prediction {
  readonly attempts: readonly RouteAttempt[];
}

/**
 * A buyer's client of a model through a router, for Node and browsers alike. Each prediction offers the router one
 * voucher per provider the buyer has an idle channel with (each for everything served on that channel plus the
 * price that provider asks); the router forwards one to the provider it picks, and on a failure or a timeout the
 * next one to the next provider. Only the answering provider's channel is charged; a voucher the router did not
 * use, or that a provider refused, costs nothing, and one whose answer was lost stays uncertain (`ChannelPayer`).
 * Each answer's receipt is checked against the answering provider's terms, as the router listed them and as the
 * buyer's own channel with it says. A channel carries one request at a time: the buyer's concurrency through a
 * router is the number of channels it holds per provider.
 */
export class RoutedInferenceClient {
  #model: RoutedModel;

  private constructor(
    readonly url: string,
    readonly modelId: string,
    model: RoutedModel,
    private readonly channels: readonly RoutedChannel[],
    private readonly fetchImpl: Fetch,
    private readonly choice: RouteChoice,
    private readonly persist: PersistPayers,
  ) {
    this.#model = model;
  }

  /**
   * Reads the router's providers of `modelId` (`GET /v1/models/:id/providers`). `expect.modelHash` pins the hash the
   * buyer read from ModelRegistry.
   */
  static async connect(
    url: string,
    modelId: string | bigint,
    options: {
      readonly channels: readonly RoutedChannel[];
      readonly expect?: { readonly modelHash?: string };
      readonly choice?: RouteChoice;
      readonly fetch?: Fetch;
      readonly persist?: PersistPayers;
    },
  ): Promise<RoutedInferenceClient> {
    const fetchImpl = options.fetch ?? globalThis.fetch;
    const base = url.replace(/\/+$/, "");
    const model = await readModel(fetchImpl, base, String(modelId), options.choice ?? {});
    const expected = options.expect?.modelHash?.toLowerCase();
    if (expected !== undefined && expected !== model.modelHash) {
      throw new ProviderRefusedError(
        0,
        "MODEL_MISMATCH",
        `${base} routes model hash ${model.modelHash}, not ${expected}`,
      );
    }
    const channels = options.channels.map((channel) => ({ ...channel, provider: channel.provider.toLowerCase() }));
    return new RoutedInferenceClient(
      base,
      String(modelId),
      model,
      channels,
      fetchImpl,
      options.choice ?? {},
      options.persist ?? (async () => {}),
    );
  }

  /** The router's providers as last read. */
  get model(): RoutedModel {
    return this.#model;
  }

  /** Reads the router's providers again (new announcements, measured latencies). */
  async refresh(): Promise<RoutedModel> {
    this.#model = await readModel(this.fetchImpl, this.url, this.modelId, this.choice);
    return this.#model;
  }

  /** Predicts `inputs` (examples, each nested to the model's input shape) through the router. */
  async predict(inputs: readonly unknown[]): Promise<RoutedPrediction> {
    const requestId = newRequestId();
    const offers = await this.#takeChannels();
    const settled = new Set<RoutedChannel>();
    try {
      const payments: OfferedPayment[] = [];
      for (const { channel, info } of offers) {
        const voucher = await channel.payer.voucherFor(priceOf(info, inputs.length));
        payments.push({ provider: info.provider, voucher });
      }
      await this.persist();
      const response = await this.fetchImpl(`${this.url}/v1/models/${this.modelId}/predict${query(this.choice)}`, {
        method: "POST",
        headers: { "content-type": "application/json", [PAYMENTS_HEADER]: paymentsToHeader(payments) },
        body: JSON.stringify({ requestId, inputs }),
      });
      const attempts = attemptsOf(response);
      for (const attempt of attempts) {
        const offer = offers.find(({ info }) => info.provider === attempt.provider);
        if (offer === undefined || settled.has(offer.channel)) continue;
        settled.add(offer.channel);
        const { payer } = offer.channel;
        if (attempt.outcome === "lost" || attempt.outcome === "timeout") {
          payer.lost(priceOf(offer.info, inputs.length));
        } else {
          // A refusal may say the provider served more than the buyer received (an answer lost before).
          if (attempt.owed !== undefined) payer.acknowledge(BigInt(attempt.owed));
          payer.unused();
        }
      }
      const by = response.headers.get(ANSWERED_BY_HEADER)?.toLowerCase();
      const answering = offers.find(({ info }) => info.provider === by);
      if (!response.ok) {
        if (answering !== undefined && !settled.has(answering.channel)) {
          settled.add(answering.channel);
          answering.channel.payer.unused();
        }
        throw await refusalOf(response);
      }
      if (answering === undefined) {
        throw new ProviderRefusedError(response.status, "ROUTER_MISMATCH", `the router answered for ${by ?? "nobody"}`);
      }
      const price = priceOf(answering.info, inputs.length);
      settled.add(answering.channel);
      let parsed: InferenceResponse;
      try {
        parsed = parseInput(InferenceResponseSchema, await response.json(), "provider answer");
      } catch (error) {
        // The answer broke on the way: the provider may count it as served.
        answering.channel.payer.lost(price);
        throw error;
      }
      // Delivered: owed, whether or not its receipt checks out.
      answering.channel.payer.answered(price);
      const prediction: Prediction = {
        outputs: parsed.outputs,
        receipt: checkReceipt(answering.info, { requestId, inputs, price }, parsed),
        signature: parsed.signature,
        batchSize: batchSizeOf(response),
        provider: answering.info.provider,
      };
      return { ...prediction, attempts };
    } finally {
      for (const { channel } of offers) if (!settled.has(channel)) channel.payer.unused();
      await this.persist();
    }
  }

  /**
   * One idle channel per provider the router lists (healthy or not: the router knows better at the time of the
   * request), waiting for one to free up if none is idle.
   */
  async #takeChannels(): Promise<{ channel: RoutedChannel; info: ServedModelInfo }[]> {
    for (;;) {
      const listed = new Map<string, ServedModelInfo>(this.#model.providers.map((p) => [p.provider, p.info]));
      // A provider is offered a voucher only if its terms are those of the model and of the buyer's channel.
      const known = this.channels.filter((channel) => {
        const info = listed.get(channel.provider);
        const { deployment } = channel.payer;
        return (
          info !== undefined &&
          info.modelHash === this.#model.modelHash &&
          BigInt(info.chainId) === deployment.chainId &&
          info.paymentChannels === deployment.contract
        );
      });
      if (known.length === 0) {
        throw new ProviderRefusedError(
          0,
          "NO_CHANNEL",
          `the router lists no provider of model ${this.modelId} that this buyer has a channel with`,
        );
      }
      const taken: { channel: RoutedChannel; info: ServedModelInfo }[] = [];
      for (const channel of known) {
        if (taken.some((offer) => offer.channel.provider === channel.provider)) continue;
        if (channel.payer.tryTake()) taken.push({ channel, info: listed.get(channel.provider) as ServedModelInfo });
      }
      if (taken.length > 0) return taken;
      await Promise.race(known.map((channel) => channel.payer.whenIdle()));
    }
  }
}

const priceOf = (info: ServedModelInfo, examples: number) => BigInt(info.pricePerExample) * BigInt(examples);

function query(choice: RouteChoice): string {
  if (choice.weights !== undefined) {
    const { price, latency, reputation } = choice.weights;
    return `?weights=price:${price},latency:${latency},reputation:${reputation}`;
  }
  return choice.prefer === undefined ? "" : `?prefer=${choice.prefer}`;
}

async function readModel(fetchImpl: Fetch, base: string, modelId: string, choice: RouteChoice) {
  const response = await fetchImpl(`${base}/v1/models/${modelId}/providers${query(choice)}`);
  if (!response.ok) throw await refusalOf(response);
  return parseInput(RoutedModelSchema, await response.json(), "router providers");
}

function attemptsOf(response: Response): RouteAttempt[] {
  const header = response.headers.get(ATTEMPTS_HEADER);
  if (header === null) return [];
  let json: unknown;
  try {
    json = JSON.parse(header);
  } catch {
    throw new ProviderRefusedError(response.status, "ROUTER_MISMATCH", `${ATTEMPTS_HEADER} is not JSON`);
  }
  return parseInput(RouteAttemptsSchema, json, ATTEMPTS_HEADER);
}
