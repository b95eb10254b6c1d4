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
import {
  batchSizeOf,
  checkedPrediction,
  type PersistPayers,
  type Prediction,
  type PredictOptions,
  type VerifiableOptions,
} from "./inference-client.js";
import { newRequestId, ProviderRefusedError, refusalOf } from "./provider-refusal.js";

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
    private readonly verifiable: VerifiableOptions,
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
    } & VerifiableOptions,
  ): Promise<RoutedInferenceClient> {
    // Bound: a browser refuses `fetch` called as another object's method ("Illegal invocation").
    const fetchImpl = options.fetch ?? globalThis.fetch.bind(globalThis);
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
      {
        ...(options.verifiable === undefined ? {} : { verifiable: options.verifiable }),
        ...(options.requests === undefined ? {} : { requests: options.requests }),
      },
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

  /**
   * Predicts `inputs` (examples, each nested to the model's input shape) through the router. A verifiable request
   * (`options.verifiable`, else the client's default) is offered only to providers that announce a deterministic path,
   * and its answer is checked and kept as `InferenceClient`'s is.
   */
  async predict(inputs: readonly unknown[], options: PredictOptions = {}): Promise<RoutedPrediction> {
    const requestId = newRequestId();
    const verifiable = options.verifiable ?? this.verifiable.verifiable ?? false;
    const held = new HeldChannels(await this.#takeChannels(verifiable), inputs.length);
    try {
      const payments: OfferedPayment[] = [];
      for (const offer of held.offers) {
        payments.push({
          provider: offer.info.provider,
          voucher: await offer.channel.payer.voucherFor(held.price(offer)),
        });
      }
      await this.persist();
      let response: Response;
      try {
        response = await this.fetchImpl(
          `${this.url}/v1/models/${this.modelId}/predict${query(this.choice, verifiable)}`,
          {
            method: "POST",
            headers: { "content-type": "application/json", [PAYMENTS_HEADER]: paymentsToHeader(payments) },
            body: JSON.stringify({ requestId, inputs }),
          },
        );
      } catch (error) {
        // No answer from the router: any provider offered may have served the request.
        for (const offer of held.offers) held.settle(offer, "lost");
        throw error;
      }
      const attempts = attemptsOf(response);
      for (const attempt of attempts) {
        const offer = held.find(attempt.provider);
        if (offer === undefined) continue;
        // A refusal may say the provider served more than the buyer received (an answer lost before).
        if (attempt.owed !== undefined) offer.channel.payer.acknowledge(BigInt(attempt.owed));
        held.settle(offer, attempt.outcome === "lost" || attempt.outcome === "timeout" ? "lost" : "unused");
      }
      const by = response.headers.get(ANSWERED_BY_HEADER)?.toLowerCase();
      if (!response.ok) throw await refusalOf(response);
      const answering = by === undefined ? undefined : held.find(by);
      if (answering === undefined) {
        throw new ProviderRefusedError(response.status, "ROUTER_MISMATCH", `the router answered for ${by ?? "nobody"}`);
      }
      let parsed: InferenceResponse;
      try {
        parsed = parseInput(InferenceResponseSchema, await response.json(), "provider answer");
      } catch (error) {
        // The answer broke on the way: the provider may count it as served.
        held.settle(answering, "lost");
        throw error;
      }
      // Delivered: owed, whether or not its receipt checks out.
      held.settle(answering, "answered");
      const price = held.price(answering);
      const sent = { requestId, inputs, price, verifiable };
      return {
        outputs: parsed.outputs,
        ...(await checkedPrediction(answering.info, sent, parsed, this.verifiable.requests)),
        signature: parsed.signature,
        batchSize: batchSizeOf(response),
        provider: answering.info.provider,
        attempts,
      };
    } finally {
      held.release();
      await this.persist();
    }
  }

  /**
   * One idle channel per provider the router lists (healthy or not: the router knows better at the time of the
   * request), waiting for one to free up if none is idle.
   */
  async #takeChannels(verifiable: boolean): Promise<Offer[]> {
    for (;;) {
      const listed = new Map<string, ServedModelInfo>(
        this.#model.providers
          .filter((p) => !verifiable || p.info.deterministic !== undefined)
          .map((p) => [p.provider, p.info]),
      );
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
          `the router lists no provider of model ${this.modelId}${verifiable ? " answering verifiable requests" : ""} that this buyer has a channel with`,
        );
      }
      const taken: Offer[] = [];
      for (const channel of known) {
        if (taken.some((offer) => offer.channel.provider === channel.provider)) continue;
        if (channel.payer.tryTake()) taken.push({ channel, info: listed.get(channel.provider) as ServedModelInfo });
      }
      if (taken.length > 0) return taken;
      await Promise.race(known.map((channel) => channel.payer.whenIdle()));
    }
  }
}

/** A channel held for a request, and the terms of the provider it pays. */
interface Offer {
  readonly channel: RoutedChannel;
  readonly info: ServedModelInfo;
}

/** The channels one request holds, each settled once: answered, lost (maybe served), or unused (the default). */
class HeldChannels {
  readonly #open: Set<Offer>;

  constructor(
    readonly offers: readonly Offer[],
    private readonly examples: number,
  ) {
    this.#open = new Set(offers);
  }

  /** The request's price at `offer`'s provider. */
  price(offer: Offer): bigint {
    return BigInt(offer.info.pricePerExample) * BigInt(this.examples);
  }

  find(provider: string): Offer | undefined {
    return this.offers.find(({ info }) => info.provider === provider);
  }

  settle(offer: Offer, outcome: "answered" | "lost" | "unused"): void {
    if (!this.#open.delete(offer)) return;
    const { payer } = offer.channel;
    if (outcome === "answered") payer.answered(this.price(offer));
    else if (outcome === "lost") payer.lost(this.price(offer));
    else payer.unused();
  }

  /** Frees every channel not settled yet, as unused. */
  release(): void {
    for (const offer of this.#open) this.settle(offer, "unused");
  }
}

function query(choice: RouteChoice, verifiable = false): string {
  const terms: string[] = [];
  if (choice.weights !== undefined) {
    const { price, latency, reputation } = choice.weights;
    terms.push(`weights=price:${price},latency:${latency},reputation:${reputation}`);
  } else if (choice.prefer !== undefined) {
    terms.push(`prefer=${choice.prefer}`);
  }
  if (verifiable) terms.push("verifiable=1");
  return terms.length === 0 ? "" : `?${terms.join("&")}`;
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
