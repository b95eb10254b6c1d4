import { z } from "zod";
import { AggregationInputError } from "./errors.js";

/** Kinds of server optimiser (Reddi et al. 2021; FedAvgM after Hsu et al. 2019). */
export const SERVER_OPTIMIZER_KINDS = ["fedavgm", "fedadagrad", "fedadam", "fedyogi"] as const;
export type ServerOptimizerKind = (typeof SERVER_OPTIMIZER_KINDS)[number];

/** Float64 values as base64 of their little-endian bytes. */
const float64Base64 = z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, "must be base64");

/**
 * Everything a server optimiser needs to resume after a restart, as plain JSON: hyper-parameters, the number
 * of steps taken, and the float64 moment vectors (null before the first step).
 */
export const ServerOptimizerStateSchema = z.strictObject({
  kind: z.enum(SERVER_OPTIMIZER_KINDS),
  version: z.literal(1),
  options: z.record(z.string(), z.number()),
  steps: z.number().int().nonnegative(),
  length: z.number().int().nonnegative().nullable(),
  m: float64Base64.nullable(),
  v: float64Base64.nullable(),
});
export type ServerOptimizerState = z.infer<typeof ServerOptimizerStateSchema>;

/** A server optimiser: turns the round's aggregate into the next global model, keeping state between rounds. */
export interface ServerOptimizer {
  readonly kind: ServerOptimizerKind;
  /** Steps taken so far. */
  readonly steps: number;
  /**
   * One round: the pseudo-gradient is Δ = aggregate − global (aggregate = this round's aggregated client
   * models, e.g. `fedAvg`), and the returned vector is the new global model. Inputs are not modified.
   */
  step(global: Float32Array, aggregate: Float32Array): Float32Array;
  /** JSON-serialisable state; `restoreServerOptimizer(state)` continues exactly where this one is. */
  state(): ServerOptimizerState;
  toJSON(): ServerOptimizerState;
}

/** Parses `input` with `schema` or throws `AggregationInputError` listing the issues. */
export function parseOrThrow<S extends z.ZodType>(schema: S, input: unknown, what: string): z.output<S> {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.map((issue) => `${issue.path.join(".") || "(root)"}: ${issue.message}`);
  throw new AggregationInputError(`invalid ${what}: ${issues.join("; ")}`, { what, issues });
}

export function encodeFloat64(values: Float64Array | null): string | null {
  return values === null ? null : Buffer.from(values.buffer, values.byteOffset, values.byteLength).toString("base64");
}

export function decodeFloat64(text: string | null, length: number | null, what: string): Float64Array | null {
  if (text === null) return null;
  const bytes = Buffer.from(text, "base64");
  if (length === null || bytes.byteLength !== length * 8) {
    throw new AggregationInputError(`invalid ${what}: ${bytes.byteLength} bytes for ${length} float64 values`, {
      what,
      bytes: bytes.byteLength,
      length,
    });
  }
  const values = new Float64Array(length);
  new Uint8Array(values.buffer).set(bytes);
  return values;
}
