import { AddressSchema, Bytes32Schema, InvalidInputError } from "@tributary/protocol";
import { z } from "zod";
import { formatToken, parseTokenAmount, type TokenInfo } from "../chain/spend.js";

/** What a value is read and shown against: the token its amounts are in (TRIB, or the token a withdrawal moves). */
export interface ValueContext {
  readonly token: TokenInfo;
}

/** How one kind of parameter value is typed by a person (`--set NAME=VALUE`), checked and shown. */
export interface ValueType<V> {
  /** The kind, for `gov params`: `duration`, `bps`, … */
  readonly kind: string;
  /** How to write one, for messages and `gov params`. */
  readonly syntax: string;
  /** Parses `text`, the value of `--set param=text`; an `INVALID_INPUT` naming both when it does not fit. */
  parse(text: string, param: string, context: ValueContext): V;
  show(value: V, context: ValueContext): string;
}

/**
 * `text` through `schema`, or its problems as an `invalid --set` error at `path` (`staking.winnerShareBps=2%`, or
 * `optimisticVerifier.committeeMember:0x12 (ADDRESS)` for a key).
 */
export function parseWith<S extends z.ZodType>(schema: S, text: string, path: string): z.output<S> {
  const result = schema.safeParse(text);
  if (result.success) return result.data;
  throw new InvalidInputError("--set", [
    { path, message: result.error.issues.map((issue) => issue.message).join("; ") },
  ]);
}

function typeFrom<V>(
  kind: string,
  syntax: string,
  schema: z.ZodType<V, string>,
  show: (value: V) => string,
): ValueType<V> {
  return { kind, syntax, parse: (text, param) => parseWith(schema, text, `${param}=${text}`), show };
}

const maxOf = (bits: number) => (1n << BigInt(bits)) - 1n;

/** A non-negative integer below 2^bits, typed in decimal. */
function integer(bits: number, what: string) {
  return z
    .string()
    .regex(/^\d{1,78}$/, `must be ${what}, a whole number such as 3`)
    .transform((text) => BigInt(text))
    .refine((value) => value <= maxOf(bits), `must fit in uint${bits} (at most ${maxOf(bits)})`);
}

/** Basis points, 0 to 10,000 (100 %). */
export const BPS: ValueType<bigint> = typeFrom(
  "bps",
  "basis points 0..10000 (250 = 2.5 %)",
  integer(16, "basis points").refine((value) => value <= 10_000n, "must be at most 10000 basis points (100 %)"),
  (value) => `${value} bps (${Number(value) / 100} %)`,
);

/** A percentage, 0 to 100 (the governor's quorum numerator over its denominator of 100). */
export const PERCENT: ValueType<bigint> = typeFrom(
  "percent",
  "whole percent 0..100",
  integer(8, "a percentage").refine((value) => value <= 100n, "must be at most 100 (%)"),
  (value) => `${value} %`,
);

/** A count that fits in `bits` bits. */
export function count(bits: number): ValueType<bigint> {
  return typeFrom("count", "a whole number", integer(bits, "a count"), (value) => value.toString());
}

const UNIT_SECONDS = { s: 1n, m: 60n, h: 3_600n, d: 86_400n, w: 604_800n } as const;
type Unit = keyof typeof UNIT_SECONDS;

/** `7 d (604800 s)`: seconds in the largest unit that divides them exactly. */
export function formatDuration(seconds: bigint): string {
  for (const [unit, size] of [
    ["d", 86_400n],
    ["h", 3_600n],
    ["min", 60n],
  ] as const) {
    if (seconds >= size && seconds % size === 0n) return `${seconds / size} ${unit} (${seconds} s)`;
  }
  return `${seconds} s`;
}

/** A duration in seconds that fits in uint`bits`: `7d`, `36h`, `90m`, `45s` or plain seconds. */
export function duration(bits: number): ValueType<bigint> {
  const schema = z
    .string()
    .regex(/^\d{1,20}[smhdw]?$/, "must be a duration such as 7d, 36h, 90m, 45s or a number of seconds")
    .transform((text) => {
      const [, digits = "0", unit = ""] = /^(\d+)([smhdw]?)$/.exec(text) ?? [];
      return BigInt(digits) * UNIT_SECONDS[(unit || "s") as Unit];
    })
    .refine((value) => value <= maxOf(bits), `must be at most ${maxOf(bits)} seconds (uint${bits})`);
  return typeFrom("duration", "7d, 36h, 90m, 45s or seconds", schema, formatDuration);
}

/** An amount of the context's token, typed in tokens (`1000`, `12.5`), held in base units; zero allowed. */
export const TOKENS: ValueType<bigint> = {
  kind: "tokens",
  syntax: "an amount of tokens such as 1000 or 12.5",
  parse: (text, param, { token }) => {
    const amount = z.string().regex(/^\d{1,60}(\.\d{1,77})?$/, "must be an amount of tokens such as 1000 or 12.5");
    parseWith(amount, text, `${param}=${text}`);
    return parseTokenAmount(text, token, `--set ${param}`);
  },
  show: (value, { token }) => formatToken(value, token),
};

/** An account or contract address (`0x` + 40 hex digits). */
export const ADDRESS: ValueType<string> = typeFrom("address", "0x + 40 hex digits", AddressSchema, (value) => value);

/** `true` or `false`. */
export const BOOL: ValueType<boolean> = typeFrom(
  "bool",
  "true or false",
  z.enum(["true", "false"], { message: "must be true or false" }).transform((text) => text === "true"),
  String,
);

/** A key of a keyed parameter (`optimisticVerifier.committeeMember:ADDRESS`), as `gov params` names it. */
export interface KeyType<K> {
  readonly name: string;
  readonly schema: z.ZodType<K, string>;
}

export const ADDRESS_KEY: KeyType<string> = { name: "ADDRESS", schema: AddressSchema };
export const TOKEN_KEY: KeyType<string> = { name: "TOKEN", schema: AddressSchema };
export const RECIPIENT_KEY: KeyType<string> = { name: "TO", schema: AddressSchema };
export const MODEL_ID_KEY: KeyType<bigint> = { name: "MODEL_ID", schema: integer(256, "a model id") };
export const MEASUREMENT_KEY: KeyType<string> = { name: "MEASUREMENT", schema: Bytes32Schema };

/** `IAttestationRegistry.TeeKind`, by the names a person types. */
export const TEE_KINDS = ["aws-nitro", "sgx-mrenclave", "sgx-mrsigner", "intel-tdx"] as const;
export const TEE_KIND_KEY: KeyType<bigint> = {
  name: "KIND",
  schema: z
    .enum(TEE_KINDS, { message: `must be one of ${TEE_KINDS.join(", ")}` })
    .transform((kind) => BigInt(TEE_KINDS.indexOf(kind))),
};
