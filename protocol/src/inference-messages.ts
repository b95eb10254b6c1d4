import { z } from "zod";
import { SignedVoucherSchema } from "./channel-voucher.js";
import { AddressSchema, Bytes32Schema, Uint256Schema } from "./ids.js";
import { SignatureSchema } from "./signature.js";

const ShapeSchema = z.array(z.number().int().positive()).min(1);

/**
 * `POST /v1/predict`: one or more examples, each a nested array of the model's input shape, and, when the model is
 * not free, a cumulative voucher covering everything served on the channel so far plus this request. The shape of
 * `inputs` is checked by the provider against its model (it knows the shape; a schema here cannot).
 */
export const InferenceRequestSchema = z.strictObject({
  requestId: Bytes32Schema,
  inputs: z.array(z.unknown()).min(1, "give at least one example"),
  payment: SignedVoucherSchema.optional(),
});
export type InferenceRequest = z.output<typeof InferenceRequestSchema>;
export type InferenceRequestWire = z.input<typeof InferenceRequestSchema>;

/**
 * The binary form of `POST /v1/predict`, for large inputs: the body (`application/octet-stream`) holds the examples
 * as little-endian float32, example after example, each row-major: exactly the bytes `tensorHash` hashes, so the
 * receipt's `requestHash` is the SHA-256 of the body. The rest travels in these headers.
 */
export const INFERENCE_BINARY_TYPE = "application/octet-stream";
export const INFERENCE_HEADERS = {
  /** The request id (32 bytes, hex), as `requestId` in JSON. */
  requestId: "x-tributary-request-id",
  /** The body's shape: the number of examples, then the model's input shape, comma-separated (e.g. `32,28,28`). */
  inputShape: "x-tributary-input-shape",
  /** The voucher, as `payment` in JSON (a one-line JSON object); absent when the model is free. */
  payment: "x-tributary-payment",
} as const;

const HeaderShapeSchema = z
  .string()
  .regex(
    /^[1-9]\d{0,8}(,[1-9]\d{0,8})*$/,
    "must be positive integers separated by commas, examples first (e.g. 32,784)",
  )
  .transform((value) => value.split(",").map(Number));

const HeaderVoucherSchema = z
  .string()
  .transform((value, ctx) => {
    try {
      return JSON.parse(value) as unknown;
    } catch {
      ctx.addIssue({ code: "custom", message: "must be the voucher as one line of JSON" });
      return z.NEVER;
    }
  })
  .pipe(SignedVoucherSchema);

/** The headers of a binary request (other headers are ignored). */
export const InferenceBinaryHeadersSchema = z.object({
  [INFERENCE_HEADERS.requestId]: Bytes32Schema,
  [INFERENCE_HEADERS.inputShape]: HeaderShapeSchema,
  [INFERENCE_HEADERS.payment]: HeaderVoucherSchema.optional(),
});
export type InferenceBinaryHeaders = z.output<typeof InferenceBinaryHeadersSchema>;

/** Where the channel stands at the provider after a paid request. Amounts in base units, decimal strings. */
export const PaymentStateSchema = z.strictObject({
  channelId: Uint256Schema,
  /** The highest voucher the provider holds (what it can redeem). */
  accepted: Uint256Schema,
  /** The price of everything it has served on the channel. */
  owed: Uint256Schema,
});
export type PaymentState = z.output<typeof PaymentStateSchema>;

/**
 * The query of `POST /v1/predict`: `verifiable=1` asks for the deterministic (fixed-point) answer, whose receipt signs
 * `deterministic-inference`'s request and response hashes, which anyone holding the model recomputes bit for bit.
 */
export const PredictQuerySchema = z.object({
  verifiable: z
    .enum(["0", "1", "false", "true"])
    .optional()
    .transform((value) => value === "1" || value === "true"),
});
export type PredictQuery = z.output<typeof PredictQuerySchema>;

/**
 * The deterministic path of a served model: the SHA-256 of its quantised model's canonical bytes (which a verifiable
 * answer's `requestHash` names) and the fractional bits of its integer logits (a logit `q` stands for `q · 2^-bits`).
 */
export const DeterministicModelInfoSchema = z.strictObject({
  modelHash: Bytes32Schema,
  fractionBits: z.number().int().min(0).max(16),
});
export type DeterministicModelInfo = z.output<typeof DeterministicModelInfoSchema>;

/**
 * The provider's answer: the outputs (each example flat, of `outputShape`) and the signed receipt's fields. A
 * verifiable answer (`deterministic` present) holds the integer logits of the fixed-point path, and its
 * `requestHash`/`responseHash` are `deterministic-inference`'s (SHA-256 of the canonical request and response bytes),
 * not `tensorHash`es; `modelHash` stays the registered model's.
 */
export const InferenceResponseSchema = z.strictObject({
  requestId: Bytes32Schema,
  modelId: Uint256Schema,
  modelHash: Bytes32Schema,
  requestHash: Bytes32Schema,
  responseHash: Bytes32Schema,
  price: Uint256Schema,
  outputShape: ShapeSchema,
  outputs: z.array(z.array(z.number())),
  provider: AddressSchema,
  signature: SignatureSchema,
  payment: PaymentStateSchema.nullable(),
  deterministic: DeterministicModelInfoSchema.optional(),
});
export type InferenceResponse = z.output<typeof InferenceResponseSchema>;

/** `GET /v1/model`: what a buyer needs to pay for and check answers: the model, its price, the deployment. */
export const ServedModelInfoSchema = z.strictObject({
  modelId: Uint256Schema,
  modelHash: Bytes32Schema,
  provider: AddressSchema,
  inputShape: ShapeSchema,
  outputShape: ShapeSchema,
  /** Price of one example (ModelRegistry's `pricePerToken`: one example is one token). */
  pricePerExample: Uint256Schema,
  paymentToken: AddressSchema,
  chainId: Uint256Schema,
  paymentChannels: AddressSchema,
  modelRegistry: AddressSchema,
  maxExamplesPerRequest: z.number().int().positive(),
  /** Present when the provider answers `?verifiable=1` requests (the model quantises: see deterministic-inference). */
  deterministic: DeterministicModelInfoSchema.optional(),
});
export type ServedModelInfo = z.output<typeof ServedModelInfoSchema>;

/** Every refusal: a stable code, a one-line message, and details. */
export const ProviderErrorSchema = z.object({
  error: z.object({ code: z.string(), message: z.string(), details: z.record(z.string(), z.unknown()).optional() }),
});
