import { z } from "zod";
import { requireFinite, requireVectors } from "../check-vectors.js";
import { AggregationInputError, InvalidUpdateError } from "../errors.js";

/** Kinds of server optimiser (Reddi et al. 2021; FedAvgM after Hsu et al. 2019). */
export const SERVER_OPTIMIZER_KINDS = ["fedavgm", "fedadagrad", "fedadam", "fedyogi"] as const;
export type ServerOptimizerKind = (typeof SERVER_OPTIMIZER_KINDS)[number];

/** Float64 values as base64 of their little-endian bytes. */
const float64Base64 = z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, "must be base64");

/**
 * Everything a server optimiser needs to resume after a restart, as plain JSON: hyper-parameters, the number
 * of steps taken, and the float64 moment vectors (null before the first step; `v` always null for FedAvgM).
 * A restarted coordinator reads what an earlier one persisted, so this format does not change.
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

/** Parses `input` with `schema` or throws `AggregationInputError` listing the issues. */
export function parseOrThrow<S extends z.ZodType>(schema: S, input: unknown, what: string): z.output<S> {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.map((issue) => `${issue.path.join(".") || "(root)"}: ${issue.message}`);
  throw new AggregationInputError(`invalid ${what}: ${issues.join("; ")}`, { what, issues });
}

function encodeFloat64(values: Float64Array | null): string | null {
  return values === null ? null : Buffer.from(values.buffer, values.byteOffset, values.byteLength).toString("base64");
}

function decodeFloat64(text: string | null, length: number | null, what: string): Float64Array | null {
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

/** The moments a rule updates in place: m always, v only for the adaptive rules (null for FedAvgM). */
export interface Moments {
  readonly m: Float64Array;
  readonly v: Float64Array | null;
}

/**
 * A server optimiser (the FedOpt framework of Reddi et al. 2021): turns the round's averaged client delta into
 * the next global model, keeping float64 moments between rounds. Subclasses give the update rule; this class
 * owns the checks, the moments, the step count and the JSON state.
 */
export abstract class ServerOptimizer {
  abstract readonly kind: ServerOptimizerKind;
  /** Hyper-parameters, as persisted in the state. */
  abstract readonly options: Readonly<Record<string, number>>;
  #steps = 0;
  #m: Float64Array | null = null;
  #v: Float64Array | null = null;

  /** Whether the rule keeps a second moment v (the adaptive optimisers) besides m. */
  protected abstract readonly hasSecondMoment: boolean;

  /** v₋₁, the starting second moment (adaptive optimisers only). */
  protected initialSecondMoment(): number {
    return 0;
  }

  /**
   * One round of the rule, in float64 per coordinate: updates `moments` from Δ = `delta` in place and writes
   * the new global model (global + step, rounded once to float32) to `out`.
   */
  protected abstract update(global: Float32Array, delta: Float32Array, moments: Moments, out: Float32Array): void;

  get steps(): number {
    return this.#steps;
  }

  /**
   * One round: `averageDelta` is this round's averaged client change to `global` (the pseudo-gradient Δ, e.g.
   * the example-weighted mean of the trainers' deltas); returns the new global model. Inputs are not modified.
   */
  stepDelta(global: Float32Array, averageDelta: Float32Array): Float32Array {
    const rule = `${this.constructor.name}.stepDelta`;
    const length = requireVectors(rule, [global, averageDelta]);
    if (this.#m !== null && this.#m.length !== length) {
      throw new InvalidUpdateError("length", `${rule}: the state has ${this.#m.length} values, got ${length}`, {
        expected: this.#m.length,
        actual: length,
      });
    }
    requireFinite(rule, [global, averageDelta]);
    const m = this.#m ?? new Float64Array(length);
    const v = this.hasSecondMoment ? (this.#v ?? new Float64Array(length).fill(this.initialSecondMoment())) : null;
    const out = new Float32Array(length);
    this.update(global, averageDelta, { m, v }, out);
    this.#m = m;
    this.#v = v;
    this.#steps++;
    return out;
  }

  /** JSON-serialisable state; `restoreServerOptimizer(state)` continues exactly where this one is. */
  state(): ServerOptimizerState {
    return {
      kind: this.kind,
      version: 1,
      options: { ...this.options },
      steps: this.#steps,
      length: this.#m?.length ?? null,
      m: encodeFloat64(this.#m),
      v: encodeFloat64(this.#v),
    };
  }

  toJSON(): ServerOptimizerState {
    return this.state();
  }

  /**
   * Rebuilds an optimiser of this class from `state()` output (parsed: this is a boundary), e.g.
   * `FedAdam.fromState(json)`. Throws `AggregationInputError` for malformed state or another kind's state.
   */
  static fromState<T extends ServerOptimizer>(this: new (options: Record<string, number>) => T, input: unknown): T {
    const state = parseOrThrow(ServerOptimizerStateSchema, input, "server optimiser state");
    return new this(state.options).#restore(state);
  }

  #restore(state: ServerOptimizerState): this {
    if (state.kind !== this.kind) {
      throw new AggregationInputError(`${this.kind} state expected, got ${state.kind}`, { kind: state.kind });
    }
    this.#m = decodeFloat64(state.m, state.length, `${this.kind} state m`);
    if (this.hasSecondMoment) {
      this.#v = decodeFloat64(state.v, state.length, `${this.kind} state v`);
      if ((this.#m === null) !== (this.#v === null)) {
        throw new AggregationInputError(`${this.kind} state: m and v must both be present or both null`, {});
      }
    }
    this.#steps = state.steps;
    return this;
  }
}
