import {
  INFERENCE_BINARY_TYPE,
  INFERENCE_HEADERS,
  type InferenceReceipt,
  type InferenceRequestWire,
  InferenceResponseSchema,
  ProviderErrorSchema,
  parseInput,
  type ServedModelInfo,
  ServedModelInfoSchema,
  type SignedVoucher,
  TributaryError,
  voucherToWire,
  weightsToBytes,
} from "@tributary/protocol";
import { hexlify } from "ethers";
import type { ChannelPayer } from "./channel-payer.js";
import { checkReceipt } from "./receipt-check.js";

/** The provider refused a request: its HTTP status, code (e.g. `VOUCHER_UNDERPAID`, `INPUT_SHAPE`) and message. */
export class ProviderRefusedError extends TributaryError {
  constructor(
    readonly status: number,
    code: string,
    message: string,
    details: Record<string, unknown> = {},
  ) {
    super(code, message, { details });
  }
}

export interface Prediction {
  /** One flat array per example, of the model's output shape. */
  readonly outputs: number[][];
  readonly receipt: InferenceReceipt;
  /** The provider's EIP-712 signature over the receipt (checked). */
  readonly signature: string;
  /** How many examples the provider's model call held (dynamic batching). */
  readonly batchSize: number | undefined;
}

type Fetch = typeof fetch;

/**
 * A buyer's client of one provider, for Node and browsers alike (only `fetch` and WebCrypto): each prediction is
 * paid with the next voucher of the channel (when the model is not free), and each answer's receipt is checked
 * before its outputs are returned.
 */
export class InferenceClient {
  private constructor(
    readonly url: string,
    readonly info: ServedModelInfo,
    private readonly payer: ChannelPayer | undefined,
    private readonly fetchImpl: Fetch,
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
    } = {},
  ): Promise<InferenceClient> {
    const fetchImpl = options.fetch ?? globalThis.fetch;
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
    return new InferenceClient(base, info, payer, fetchImpl);
  }

  /** What this client has committed and been served on its channel (undefined for a free model). */
  spending() {
    return this.payer?.spending();
  }

  /**
   * Predicts `inputs`: examples nested to the model's input shape, sent as JSON; or a Float32Array of whole examples
   * packed row-major, sent as float32 bytes (`application/octet-stream`: no JSON to write or parse, the fast path
   * for large inputs). Both give the same receipt for the same values.
   */
  async predict(inputs: readonly unknown[] | Float32Array): Promise<Prediction> {
    const requestId = hexlify(globalThis.crypto.getRandomValues(new Uint8Array(32)));
    const count = inputs instanceof Float32Array ? examplesIn(inputs, this.info) : inputs.length;
    const price = BigInt(this.info.pricePerExample) * BigInt(count);
    const needsPayment = price > 0n;
    if (needsPayment && this.payer === undefined) {
      throw new ProviderRefusedError(
        0,
        "PAYMENT_REQUIRED",
        `model ${this.info.modelId} costs ${price} per request: give a channel payer`,
      );
    }
    const send = async (reordered: boolean) => {
      let voucher: SignedVoucher | undefined;
      if (needsPayment && this.payer !== undefined) {
        voucher = reordered ? await this.payer.voucherAfterReorder() : await this.payer.voucherFor(price);
      }
      const payment = voucher === undefined ? undefined : voucherToWire(voucher);
      if (inputs instanceof Float32Array) {
        const headers: Record<string, string> = {
          "content-type": INFERENCE_BINARY_TYPE,
          [INFERENCE_HEADERS.requestId]: requestId,
          [INFERENCE_HEADERS.inputShape]: [count, ...this.info.inputShape].join(","),
        };
        if (payment !== undefined) headers[INFERENCE_HEADERS.payment] = JSON.stringify(payment);
        return this.fetchImpl(`${this.url}/v1/predict`, { method: "POST", headers, body: weightsToBytes(inputs) });
      }
      const body: InferenceRequestWire = { requestId, inputs: [...inputs] };
      if (payment !== undefined) body.payment = payment;
      return this.fetchImpl(`${this.url}/v1/predict`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      });
    };
    let response = await send(false);
    if (response.status === 402 && needsPayment) {
      const refusal = await refusalOf(response);
      // Concurrent requests on one channel may arrive out of order: the later voucher was taken first.
      if (refusal.code !== "VOUCHER_STALE") throw refusal;
      response = await send(true);
    }
    if (!response.ok) throw await refusalOf(response);
    const answer = parseInput(InferenceResponseSchema, await response.json(), "provider answer");
    const receipt = checkReceipt(this.info, { requestId, inputs, price }, answer);
    if (answer.payment !== null) this.payer?.record(answer.payment, price);
    const batch = response.headers.get("x-tributary-batch-size");
    return {
      outputs: answer.outputs,
      receipt,
      signature: answer.signature,
      batchSize: batch === null ? undefined : Number(batch),
    };
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

async function refusalOf(response: Response): Promise<ProviderRefusedError> {
  const text = await response.text();
  try {
    const { error } = parseInput(ProviderErrorSchema, JSON.parse(text), "provider error");
    return new ProviderRefusedError(response.status, error.code, error.message, error.details ?? {});
  } catch {
    return new ProviderRefusedError(
      response.status,
      "PROVIDER_ERROR",
      `HTTP ${response.status}: ${text.slice(0, 200)}`,
    );
  }
}
