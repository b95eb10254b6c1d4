import {
  INFERENCE_BINARY_TYPE,
  INFERENCE_HEADERS,
  type InferenceReceipt,
  type InferenceRequestWire,
  type InferenceResponse,
  InferenceResponseSchema,
  parseInput,
  type ServedModelInfo,
  ServedModelInfoSchema,
  type SignedVoucher,
  voucherToWire,
  weightsToBytes,
} from "@tributary/protocol";
import type { ChannelPayer } from "./channel-payer.js";
import { newRequestId, owedOf, ProviderRefusedError, refusalOf } from "./provider-refusal.js";
import { checkReceipt, type SentRequest } from "./receipt-check.js";
import type { RequestStore } from "./request-store.js";
import { checkVerifiableReceipt, type VerifiedRequest } from "./verifiable-receipt.js";

export interface Prediction {
  /** One flat array per example, of the model's output shape. */
  readonly outputs: number[][];
  readonly receipt: InferenceReceipt;
  /** The provider's EIP-712 signature over the receipt (checked). */
  readonly signature: string;
  /** How many examples the provider's model call held (dynamic batching). */
  readonly batchSize: number | undefined;
  /** The provider that answered (lower case). */
  readonly provider: string;
  /** A verifiable answer's request bytes and hashes (checked), kept in the client's `RequestStore` if it has one. */
  readonly verified?: VerifiedRequest;
}

/** Verifiable requests: whether a client sends them by default, and where it keeps their request bytes. */
export interface VerifiableOptions {
  /** Every request `?verifiable=1` unless `predict` says otherwise (default false). */
  readonly verifiable?: boolean;
  /** Where each verifiable request's canonical bytes are kept, by request hash, for challengers. */
  readonly requests?: RequestStore;
}

/** What one prediction asks for beyond its inputs. */
export interface PredictOptions {
  /** The deterministic answer (`?verifiable=1`), whose hashes anyone with the model recomputes; default the client's. */
  readonly verifiable?: boolean;
}

/**
 * Checks an answer's receipt (a verifiable one with deterministic-inference) and keeps a verifiable request's bytes in
 * `requests`, before the prediction is returned.
 */
export async function checkedPrediction(
  info: ServedModelInfo,
  sent: SentRequest & { readonly verifiable: boolean },
  parsed: InferenceResponse,
  requests: RequestStore | undefined,
): Promise<Pick<Prediction, "receipt" | "verified">> {
  if (!sent.verifiable) return { receipt: checkReceipt(info, sent, parsed) };
  const { receipt, verified } = checkVerifiableReceipt(info, sent, parsed);
  await requests?.put(verified.requestHash, verified.requestBytes);
  return { receipt, verified };
}

/** The query of a prediction: `?verifiable=1` or nothing. */
export function predictQuery(verifiable: boolean): string {
  return verifiable ? "?verifiable=1" : "";
}

type Fetch = typeof fetch;

/** Keeps the payers' state (e.g. on disk): called after each voucher is signed, before it is sent, and after. */
export type PersistPayers = () => Promise<void>;

/** The batch size header of an answer, if any. */
export function batchSizeOf(response: Response): number | undefined {
  const batch = response.headers.get("x-tributary-batch-size");
  return batch === null ? undefined : Number(batch);
}

/**
 * A buyer's client of one provider, for Node and browsers alike (only `fetch` and WebCrypto): each prediction is
 * paid with the next voucher of the channel (when the model is not free), one request at a time on the channel,
 * and each answer's receipt is checked before its outputs are returned.
 */
export class InferenceClient {
  private constructor(
    readonly url: string,
    readonly info: ServedModelInfo,
    private readonly payer: ChannelPayer | undefined,
    private readonly fetchImpl: Fetch,
    private readonly persist: PersistPayers,
    private readonly verifiable: VerifiableOptions,
  ) {}

  /**
   * Reads the provider's model and terms (`GET /v1/model`). `expect` pins what the buyer read from ModelRegistry
   * (the provider's address, the model's hash), so a provider cannot substitute another model or key.
   */
  static async connect(
    url: string,
    options: {
      readonly payer?: ChannelPayer;
      readonly expect?: { readonly provider?: string; readonly modelHash?: string };
      readonly fetch?: Fetch;
      readonly persist?: PersistPayers;
    } & VerifiableOptions = {},
  ): Promise<InferenceClient> {
    // Bound: a browser refuses `fetch` called as another object's method ("Illegal invocation").
    const fetchImpl = options.fetch ?? globalThis.fetch.bind(globalThis);
    const base = url.replace(/\/+$/, "");
    const response = await fetchImpl(`${base}/v1/model`);
    const info = parseInput(ServedModelInfoSchema, await response.json(), "provider model");
    const { provider, modelHash } = options.expect ?? {};
    if (provider !== undefined && provider.toLowerCase() !== info.provider) {
      throw new ProviderRefusedError(0, "PROVIDER_MISMATCH", `${base} serves as ${info.provider}, not ${provider}`);
    }
    if (modelHash !== undefined && modelHash.toLowerCase() !== info.modelHash) {
      throw new ProviderRefusedError(
        0,
        "MODEL_MISMATCH",
        `${base} serves model hash ${info.modelHash}, not ${modelHash}`,
      );
    }
    const payer = options.payer;
    if (payer !== undefined && BigInt(info.chainId) !== payer.deployment.chainId) {
      throw new ProviderRefusedError(
        0,
        "CHAIN_MISMATCH",
        `${base} is paid on chain ${info.chainId}, the channel is on ${payer.deployment.chainId}`,
      );
    }
    return new InferenceClient(base, info, payer, fetchImpl, options.persist ?? (async () => {}), {
      ...(options.verifiable === undefined ? {} : { verifiable: options.verifiable }),
      ...(options.requests === undefined ? {} : { requests: options.requests }),
    });
  }

  /** What this client has paid and been served on its channel (undefined for a free model). */
  spending() {
    return this.payer?.spending();
  }

  /**
   * Predicts `inputs`: examples nested to the model's input shape, sent as JSON; or a Float32Array of whole examples
   * packed row-major, sent as float32 bytes (`application/octet-stream`: no JSON to write or parse, the fast path
   * for large inputs). Both give the same receipt for the same values. A verifiable request (`options.verifiable`,
   * else the client's default) gets the deterministic answer, its receipt checked with deterministic-inference and
   * its request bytes kept in the client's `RequestStore`.
   */
  async predict(inputs: readonly unknown[] | Float32Array, options: PredictOptions = {}): Promise<Prediction> {
    const requestId = newRequestId();
    const verifiable = options.verifiable ?? this.verifiable.verifiable ?? false;
    if (verifiable && this.info.deterministic === undefined) {
      throw new ProviderRefusedError(
        0,
        "VERIFIABLE_UNSUPPORTED",
        `${this.url} announces no deterministic path for model ${this.info.modelId}: it cannot answer verifiable requests`,
      );
    }
    const url = `${this.url}/v1/predict${predictQuery(verifiable)}`;
    const count = inputs instanceof Float32Array ? examplesIn(inputs, this.info) : inputs.length;
    const price = BigInt(this.info.pricePerExample) * BigInt(count);
    const send = (voucher?: SignedVoucher) => {
      const payment = voucher === undefined ? undefined : voucherToWire(voucher);
      if (inputs instanceof Float32Array) {
        const headers: Record<string, string> = {
          "content-type": INFERENCE_BINARY_TYPE,
          [INFERENCE_HEADERS.requestId]: requestId,
          [INFERENCE_HEADERS.inputShape]: [count, ...this.info.inputShape].join(","),
        };
        if (payment !== undefined) headers[INFERENCE_HEADERS.payment] = JSON.stringify(payment);
        // Its bytes are a fresh ArrayBuffer's (what DOM's BodyInit asks of a browser build).
        return this.fetchImpl(url, {
          method: "POST",
          headers,
          body: weightsToBytes(inputs) as Uint8Array<ArrayBuffer>,
        });
      }
      const body: InferenceRequestWire = { requestId, inputs: [...inputs] };
      if (payment !== undefined) body.payment = payment;
      return this.fetchImpl(url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      });
    };
    const answer = async (response: Response) => {
      const parsed = parseInput(InferenceResponseSchema, await response.json(), "provider answer");
      return { parsed, batchSize: batchSizeOf(response) };
    };
    const result = async (got: Awaited<ReturnType<typeof answer>>): Promise<Prediction> => ({
      outputs: got.parsed.outputs,
      ...(await checkedPrediction(
        this.info,
        { requestId, inputs, price, verifiable },
        got.parsed,
        this.verifiable.requests,
      )),
      signature: got.parsed.signature,
      batchSize: got.batchSize,
      provider: this.info.provider,
    });
    if (price === 0n) {
      const response = await send();
      if (!response.ok) throw await refusalOf(response);
      return await result(await answer(response));
    }
    const payer = this.payer;
    if (payer === undefined) {
      throw new ProviderRefusedError(
        0,
        "PAYMENT_REQUIRED",
        `model ${this.info.modelId} costs ${price} per request: give a channel payer`,
      );
    }
    await payer.take();
    let settle = () => payer.unused();
    try {
      for (let attempt = 0; ; attempt++) {
        const voucher = await payer.voucherFor(price);
        await this.persist();
        settle = () => payer.lost(price);
        const response = await send(voucher);
        if (!response.ok) {
          settle = () => payer.unused();
          const refusal = await refusalOf(response);
          // The provider served more than this buyer received (an answer lost on the way): take it if it was uncertain.
          const owed = owedOf(refusal);
          if (attempt === 0 && owed !== undefined && payer.acknowledge(owed)) continue;
          throw refusal;
        }
        const got = await answer(response);
        // The provider delivered an answer and will be paid for it, whether or not its receipt checks out.
        settle = () => payer.answered(price);
        return await result(got);
      }
    } finally {
      settle();
      await this.persist();
    }
  }
}

/** The number of whole examples packed in `values`, refused locally when it is none or not whole. */
function examplesIn(values: Float32Array, info: ServedModelInfo): number {
  const size = info.inputShape.reduce((product, axis) => product * axis, 1);
  if (values.length === 0 || values.length % size !== 0) {
    throw new ProviderRefusedError(
      0,
      "INPUT_SHAPE",
      `${values.length} values are not whole examples of the model's input shape [${info.inputShape.join(", ")}] (${size} values each)`,
    );
  }
  return values.length / size;
}
