import { z } from "zod";
import { type SignedVoucher, SignedVoucherSchema } from "./channel-voucher.js";
import { type Address, AddressSchema, Bytes32Schema, Uint256Schema } from "./ids.js";
import { ServedModelInfoSchema } from "./inference-messages.js";
import { parseInput } from "./parse.js";

/**
 * A provider's `POST /v1/predict` takes its voucher in this header as an alternative to the body's `payment`, so a
 * router can forward a request's body byte for byte.
 */
export const VOUCHER_HEADER = "x-tributary-voucher";
/**
 * A router's `POST /v1/models/:id/predict` takes the buyer's vouchers in this header, one per provider the buyer
 * will pay: `provider=voucher, provider=voucher, …`. The router forwards one of them to the provider it picks.
 */
export const PAYMENTS_HEADER = "x-tributary-payments";
/** The router's answer names the provider that answered. */
export const ANSWERED_BY_HEADER = "x-tributary-provider";
/** The router's answer lists, as JSON, the attempts that failed before it (`RouteAttempt[]`). */
export const ATTEMPTS_HEADER = "x-tributary-attempts";

/** At most this many vouchers in one request to a router. */
export const MAX_PAYMENTS = 16;

/** A voucher in a header: `channelId:amount:signature:chainId:contract`. */
export function voucherToHeader(voucher: SignedVoucher): string {
  return `${voucher.channelId}:${voucher.amount}:${voucher.signature}:${voucher.chainId}:${voucher.contract}`;
}

const VoucherHeaderSchema = z
  .string()
  .max(400)
  .transform((text, ctx) => {
    const parts = text.trim().split(":");
    if (parts.length !== 5) {
      ctx.addIssue({ code: "custom", message: "must be channelId:amount:signature:chainId:contract" });
      return z.NEVER;
    }
    const [channelId, amount, signature, chainId, contract] = parts;
    return { channelId, amount, signature, chainId, contract };
  })
  .pipe(SignedVoucherSchema);

/** Parses a voucher header; `InvalidInputError` at `what` otherwise. */
export function parseVoucherHeader(text: string, what = VOUCHER_HEADER): SignedVoucher {
  return parseInput(VoucherHeaderSchema, text, what);
}

/** A voucher a buyer offers a router, for the named provider's channel. */
export interface OfferedPayment {
  readonly provider: Address;
  readonly voucher: SignedVoucher;
}

export function paymentsToHeader(payments: readonly OfferedPayment[]): string {
  return payments.map(({ provider, voucher }) => `${provider}=${voucherToHeader(voucher)}`).join(", ");
}

const PaymentsHeaderSchema = z
  .string()
  .max(MAX_PAYMENTS * 420)
  .transform((text) =>
    text
      .split(",")
      .map((entry) => entry.trim())
      .filter((entry) => entry !== "")
      .map((entry) => {
        const at = entry.indexOf("=");
        return { provider: at < 0 ? "" : entry.slice(0, at), voucher: at < 0 ? entry : entry.slice(at + 1) };
      }),
  )
  .pipe(
    z
      .array(z.strictObject({ provider: AddressSchema, voucher: VoucherHeaderSchema }))
      .min(1, "offer at least one voucher")
      .max(MAX_PAYMENTS),
  )
  .superRefine((payments, ctx) => {
    const seen = new Set<string>();
    for (const [index, { provider }] of payments.entries()) {
      if (seen.has(provider)) ctx.addIssue({ code: "custom", path: [index], message: `${provider} is offered twice` });
      seen.add(provider);
    }
  });

/** Parses the payments header; `InvalidInputError` at `what` otherwise. */
export function parsePaymentsHeader(text: string, what = PAYMENTS_HEADER): OfferedPayment[] {
  return parseInput(PaymentsHeaderSchema, text, what);
}

/**
 * An attempt that did not answer. The request never reached the provider (`unreachable`: no connection), or it did
 * and no answer came back (`lost`: the connection broke; `timeout`): the provider may have served it; or the
 * provider answered without serving it (`failed`: a 5xx; `refused`: a 4xx, for a 402 with its `code` and the
 * provider's `owed` on the channel).
 */
export const RouteAttemptSchema = z.strictObject({
  provider: AddressSchema,
  outcome: z.enum(["unreachable", "lost", "timeout", "failed", "refused"]),
  status: z.number().int().optional(),
  code: z.string().max(64).optional(),
  owed: Uint256Schema.optional(),
});
export type RouteAttempt = z.output<typeof RouteAttemptSchema>;

export const RouteAttemptsSchema = z.array(RouteAttemptSchema).max(MAX_PAYMENTS);

/** Which weight a buyer stresses (`?prefer=`), or none: the balanced weights. */
export const RoutePreferenceSchema = z.enum(["price", "latency", "reputation"]);
export type RoutePreference = z.output<typeof RoutePreferenceSchema>;

/** One provider as a router sees it (`GET /v1/models/:id/providers`). */
export const RoutedProviderSchema = z.strictObject({
  provider: AddressSchema,
  /** What the provider's own `GET /v1/model` answered when it was admitted (checked against its announcement). */
  info: ServedModelInfoSchema,
  /** The model's ModelRegistry reputation for a listing's own provider; 0 for a licensee. */
  reputation: Uint256Schema,
  /** The disputes its listing lost (ModelRegistry's `ModelSlashed`) for a listing's own provider; 0 for a licensee. */
  slashes: z.number().int().nonnegative(),
  /** The latency the router measured (EWMA of answered requests), in milliseconds. */
  latencyMs: z.number().nonnegative(),
  inFlight: z.number().int().nonnegative(),
  healthy: z.boolean(),
  /** The unix second its announcement expires. */
  expiresAt: Uint256Schema,
  /** The score under the weights asked for, among the healthy providers listed. */
  score: z.number().nullable(),
});
export type RoutedProvider = z.output<typeof RoutedProviderSchema>;

export const RoutedModelSchema = z.strictObject({
  modelId: Uint256Schema,
  modelHash: Bytes32Schema,
  weights: z.strictObject({ price: z.number(), latency: z.number(), reputation: z.number() }),
  providers: z.array(RoutedProviderSchema),
});
export type RoutedModel = z.output<typeof RoutedModelSchema>;

/** A router's answer to an admitted announcement (`POST /v1/announcements`). */
export const AnnouncementAdmittedSchema = z.strictObject({
  provider: AddressSchema,
  modelId: Uint256Schema,
  modelHash: Bytes32Schema,
  expiresAt: Uint256Schema,
  /** Whether the provider's `/ready` answered 200 when it was probed. */
  healthy: z.boolean(),
});
export type AnnouncementAdmitted = z.output<typeof AnnouncementAdmittedSchema>;
