import { quantiseInputs, requestBytes, responseBytes } from "@tributary/deterministic-inference";
import {
  type Bytes32,
  type DeterministicModelInfo,
  INFERENCE_BINARY_TYPE,
  INFERENCE_HEADERS,
  InferenceRequestSchema,
  type InferenceResponse,
  InferenceResponseSchema,
  InvalidInputError,
  PredictQuerySchema,
  ProviderErrorSchema,
  parseInput,
  parseVoucherHeader,
  REQUESTS_PATH,
  RequestHashParamsSchema,
  type ServedModelInfo,
  ServedModelInfoSchema,
  type SignedVoucher,
  type TributaryError,
  tensorHash,
  VOUCHER_HEADER,
} from "@tributary/protocol";
import type { FastifyError, FastifyInstance } from "fastify";
import { z } from "zod";
import { binaryInput, type PredictRequest } from "./binary-input.js";
import type { DynamicBatcher } from "./dynamic-batcher.js";
import { InferenceInputError, inputTensor } from "./input-tensor.js";
import { type PaymentDesk, paymentRequired } from "./payment-desk.js";
import type { ProviderMetrics } from "./provider-metrics.js";
import type { ReceiptSigner } from "./receipt-signer.js";
import type { RequestLog } from "./request-log.js";
import type { ServedModel } from "./served-model.js";
import type { Acceptance } from "./voucher-ledger.js";
import { PaymentRefusedError } from "./voucher-ledger.js";
import type { VoucherStore } from "./voucher-store.js";

/** The header that tells how many examples the model call that served a request held. */
export const BATCH_SIZE_HEADER = "x-tributary-batch-size";

export interface ProviderRouteDeps {
  readonly info: ServedModelInfo;
  readonly model: ServedModel;
  readonly batcher: DynamicBatcher;
  readonly desk: PaymentDesk;
  readonly store: VoucherStore;
  readonly signer: ReceiptSigner;
  readonly requests: RequestLog;
  readonly metrics: ProviderMetrics;
  readonly state: { ready: boolean; inFlight: number };
}

const json = (schema: z.ZodType) => z.toJSONSchema(schema, { io: "input", unrepresentable: "any" });
const errorSchema = json(ProviderErrorSchema);

/** `POST /v1/predict`'s body, documented for both formats (OpenAPI `requestBody.content`). */
const predictBody = {
  content: {
    "application/json": { schema: json(InferenceRequestSchema) },
    [INFERENCE_BINARY_TYPE]: {
      schema: {
        type: "string",
        format: "binary",
        description: `The examples as little-endian float32, example after example, each row-major (the bytes the receipt's requestHash hashes); with the headers ${Object.values(INFERENCE_HEADERS).join(", ")}`,
      },
    },
  },
};

/** The headers of a binary request, documented (they are parsed with protocol's InferenceBinaryHeadersSchema). */
const binaryHeaders = {
  type: "object",
  properties: {
    [INFERENCE_HEADERS.requestId]: { type: "string", description: "binary requests: the request id, 32 bytes of hex" },
    [INFERENCE_HEADERS.inputShape]: {
      type: "string",
      description: "binary requests: the body's shape, examples first, comma-separated (e.g. 32,784)",
    },
    [INFERENCE_HEADERS.payment]: {
      type: "string",
      description: "binary requests: the voucher as one line of JSON (the JSON body's payment)",
    },
  },
};

/** A JSON request: the body parsed with protocol's schema and its nested inputs checked against the model. */
function jsonInput(body: unknown, inputShape: readonly number[], maxExamples: number): PredictRequest {
  const parsed = parseInput(InferenceRequestSchema, body, "request");
  const input = inputTensor(parsed.inputs, inputShape, maxExamples);
  return { requestId: parsed.requestId, input, count: parsed.inputs.length, payment: parsed.payment };
}

function statusOf(error: unknown): { status: number; code: string; message: string; details?: unknown } {
  if (error instanceof PaymentRefusedError) return { status: 402, ...plain(error) };
  if (error instanceof InferenceInputError || error instanceof InvalidInputError)
    return { status: 400, ...plain(error) };
  const fastify = error as FastifyError;
  if (fastify.code === "FST_ERR_CTP_BODY_TOO_LARGE") {
    return { status: 413, code: "BODY_TOO_LARGE", message: `the request body is larger than this provider takes` };
  }
  if (
    fastify.code === "FST_ERR_CTP_INVALID_JSON_BODY" ||
    (fastify.statusCode === 400 && error instanceof SyntaxError)
  ) {
    const reason = fastify.message.replace(
      /^Body is not valid JSON but content-type is set to 'application\/json'$/,
      "",
    );
    return {
      status: 400,
      code: "INVALID_JSON",
      message: `the body is not JSON${reason === "" ? "" : ` (${reason})`}; NaN and Infinity are not JSON numbers`,
    };
  }
  if (fastify.statusCode !== undefined && fastify.statusCode >= 400 && fastify.statusCode < 500) {
    return { status: fastify.statusCode, code: fastify.code ?? "BAD_REQUEST", message: fastify.message };
  }
  return { status: 500, code: "INTERNAL", message: "the provider failed to answer; nothing was charged" };
}

/**
 * The request's voucher: in the request's own payment (the JSON body's `payment`, a binary request's
 * `INFERENCE_HEADERS.payment`) or in the voucher header (as a router forwards it), not both.
 */
function paymentOf(own: SignedVoucher | undefined, header: string | string[] | undefined): SignedVoucher | undefined {
  if (header === undefined) return own;
  if (own !== undefined || Array.isArray(header)) {
    throw new InferenceInputError(
      "PAYMENT_TWICE",
      `give one voucher: in the request's payment (${INFERENCE_HEADERS.payment} for a binary body) or in ${VOUCHER_HEADER}`,
    );
  }
  return parseVoucherHeader(header);
}

interface Answer {
  readonly outputs: Float32Array | Int32Array;
  readonly hashes: { readonly requestHash: Bytes32; readonly responseHash: Bytes32 };
  /** Examples in the model call that served the request. */
  readonly batchSize: number;
}

/** The float answer: batched with other requests on tfjs; the receipt hashes the float32 inputs and outputs. */
async function floatAnswer(batcher: DynamicBatcher, input: Float32Array, count: number): Promise<Answer> {
  const batched = batcher.submit(input, count);
  const requestHash = tensorHash(input);
  const result = await batched;
  return {
    outputs: result.outputs,
    hashes: { requestHash, responseHash: tensorHash(result.outputs) },
    batchSize: result.batchSize,
  };
}

/**
 * The verifiable answer: the fixed-point path (deterministic-inference) on the model's thread, alone; integer logits,
 * and the receipt signs that library's request and response hashes, which anyone with the model recomputes. The
 * canonical request and response bytes go to the request log before the answer leaves, so a task naming the request
 * finds it.
 */
async function verifiableAnswer(
  model: ServedModel,
  deterministic: DeterministicModelInfo,
  log: RequestLog,
  input: Float32Array,
  count: number,
): Promise<Answer> {
  const quantised = quantiseInputs({ activationFractionBits: deterministic.fractionBits }, input);
  const request = requestBytes(deterministic.modelHash, model.inputSize, quantised);
  const { logits, requestHash, responseHash } = await model.predictDeterministic(input, count);
  const logged = await log.record(request, responseBytes(requestHash, model.outputSize, logits));
  if (logged.requestHash !== requestHash || logged.responseHash !== responseHash) {
    throw new Error(`the request log's hashes ${logged.requestHash}, ${logged.responseHash} are not the model's`);
  }
  return { outputs: logits, hashes: { requestHash, responseHash }, batchSize: count };
}

function plain(error: TributaryError) {
  return { code: error.code, message: error.message, details: error.details };
}

/**
 * The provider's routes: `POST /v1/predict` (paid: the voucher, in the body or the voucher header, is its owner
 * check, one place), `GET /v1/model`, `GET /v1/requests/:requestHash` (public: a task's request, once published),
 * and the public `GET /health`, `GET /ready`, `GET /metrics`, `GET /openapi.json`. Bodies are parsed with
 * protocol's schemas; every refusal is `{error: {code, message, details}}`. A prediction comes as JSON or, for large
 * inputs, as float32 bytes (`application/octet-stream`, see protocol's `INFERENCE_HEADERS`); the answer is JSON.
 * With `?verifiable=1` the answer comes from the fixed-point path instead (integer logits, `deterministic` in the
 * answer), and the receipt signs deterministic-inference's `requestHash` and `responseHash`.
 */
export function registerProviderRoutes(app: FastifyInstance, deps: ProviderRouteDeps): void {
  const { info, model, batcher, desk, store, signer, requests, metrics, state } = deps;
  const pricePerExample = BigInt(info.pricePerExample);
  app.addContentTypeParser(INFERENCE_BINARY_TYPE, { parseAs: "buffer" }, (_, body, done) => done(null, body));
  // Answers sent while the service closes end their connection, so closing does not wait for keep-alive timeouts.
  app.addHook("onSend", (_, reply, payload, done) => {
    if (!state.ready) void reply.header("connection", "close");
    done(null, payload);
  });

  app.setErrorHandler((error, request, reply) => {
    const { status, code, message, details } = statusOf(error);
    if (status === 500) request.log.error({ err: error }, "predict failed");
    metrics.requests.inc({ outcome: status === 402 ? "refused-payment" : status >= 500 ? "failed" : "refused-input" });
    void reply.status(status).send({ error: { code, message, ...(details === undefined ? {} : { details }) } });
  });

  app.get("/health", { schema: { summary: "Liveness: the process answers" } }, async () => ({ status: "ok" }));
  app.get(
    "/ready",
    { schema: { summary: "Readiness: the model is loaded and the service is not draining" } },
    async (_, reply) => (state.ready ? { ready: true } : reply.status(503).send({ ready: false })),
  );
  app.get("/metrics", { schema: { summary: "Prometheus metrics (batch sizes, requests, queue)" } }, async (_, reply) =>
    reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()),
  );
  app.get("/openapi.json", { schema: { hide: true } }, async () => app.swagger());
  app.get(
    "/v1/model",
    {
      schema: {
        summary: "The served model, its price and the deployment it is paid on",
        response: { 200: json(ServedModelInfoSchema) },
      },
    },
    async () => info,
  );
  app.get(
    `${REQUESTS_PATH}/:requestHash`,
    {
      schema: {
        summary:
          "The canonical request bytes (deterministic-inference's) of a verifiable request an OptimisticVerifier task names as its input, for challengers; SHA-256 of the body = requestHash",
        response: { 400: errorSchema, 404: errorSchema },
      },
    },
    async (request, reply) => {
      const { requestHash } = parseInput(RequestHashParamsSchema, request.params, "path");
      const bytes = await requests.published(requestHash);
      if (bytes === undefined) {
        return reply.status(404).send({
          error: {
            code: "REQUEST_UNKNOWN",
            message: `no task's request ${requestHash} is kept here (only requests named by a task are served)`,
          },
        });
      }
      return reply.type(INFERENCE_BINARY_TYPE).send(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    },
  );
  app.post(
    "/v1/predict",
    {
      schema: {
        summary: "Predict: the examples' outputs and the provider's signed receipt; paid with a cumulative voucher",
        body: predictBody,
        headers: binaryHeaders,
        querystring: json(PredictQuerySchema),
        response: { 200: json(InferenceResponseSchema), 400: errorSchema, 402: errorSchema, 413: errorSchema },
      },
    },
    async (request, reply) => {
      // A buyer (or router) that hangs up before its answer is out: the answer is not charged.
      reply.raw.once("close", () => {
        if (!reply.raw.writableFinished) metrics.requests.inc({ outcome: "abandoned" });
      });
      const { verifiable } = parseInput(PredictQuerySchema, request.query, "query");
      const { deterministic } = model;
      if (verifiable && "unsupported" in deterministic) {
        throw new InferenceInputError(
          "VERIFIABLE_UNSUPPORTED",
          `this model has no deterministic path: ${deterministic.unsupported}`,
        );
      }
      const { requestId, input, count, payment } = Buffer.isBuffer(request.body)
        ? binaryInput(request.headers, request.body, model.inputShape, info.maxExamplesPerRequest)
        : jsonInput(request.body, model.inputShape, info.maxExamplesPerRequest);
      const price = pricePerExample * BigInt(count);
      // The price counts as served once the answer is handed to the network, and not before: an answer that never
      // leaves (the request failed, the buyer or router hung up) charges nothing.
      const settleOnDelivery = (accepted: Acceptance) => {
        const raw = reply.raw;
        if (raw.destroyed || raw.closed) return accepted.release();
        raw.once("finish", () => {
          accepted.settle();
          store.save().catch((error: unknown) => request.log.error({ err: error }, "saving the vouchers failed"));
        });
        raw.once("close", () => {
          if (!raw.writableFinished) accepted.release();
        });
      };
      let acceptance: Acceptance | undefined;
      if (price > 0n) {
        const voucher = paymentOf(payment, request.headers[VOUCHER_HEADER]);
        if (voucher === undefined) throw paymentRequired(price);
        acceptance = await desk.accept(voucher, price);
      }
      state.inFlight++;
      try {
        const result =
          verifiable && !("unsupported" in deterministic)
            ? await verifiableAnswer(model, deterministic, requests, input, count)
            : await floatAnswer(batcher, input, count);
        const receipt = { requestId, modelHash: info.modelHash, ...result.hashes, price };
        const outputs: number[][] = [];
        for (let index = 0; index < count; index++) {
          outputs.push(Array.from(result.outputs.subarray(index * model.outputSize, (index + 1) * model.outputSize)));
        }
        const response: z.input<typeof InferenceResponseSchema> = {
          ...receipt,
          price: price.toString(),
          modelId: info.modelId,
          outputShape: [...model.outputShape],
          outputs,
          provider: info.provider,
          signature: signer.sign(receipt),
          ...(verifiable && !("unsupported" in deterministic) ? { deterministic } : {}),
          payment:
            acceptance === undefined
              ? null
              : {
                  channelId: acceptance.channelId.toString(),
                  accepted: acceptance.accepted.toString(),
                  owed: acceptance.owed.toString(),
                },
        };
        if (acceptance !== undefined) settleOnDelivery(acceptance);
        metrics.requests.inc({ outcome: "served" });
        metrics.earned.inc(Number(price));
        void reply.header(BATCH_SIZE_HEADER, String(result.batchSize));
        return response satisfies z.input<typeof InferenceResponseSchema> as unknown as InferenceResponse;
      } catch (error) {
        acceptance?.release();
        throw error;
      } finally {
        state.inFlight--;
      }
    },
  );
}
