import { PredictQuerySchema, parseInput, type RoutePreference, RoutePreferenceSchema } from "@tributary/protocol";
import { z } from "zod";

/** How much each term counts in a provider's score. */
export interface RouteWeights {
  readonly price: number;
  readonly latency: number;
  readonly reputation: number;
}

/** What the score of one provider is computed from. */
export interface ScoreInput {
  /** Price of the request at this provider, in base units. */
  readonly price: bigint;
  /** Measured latency (EWMA of answered requests), in milliseconds. */
  readonly latencyMs: number;
  /** Requests the router has in flight at the provider. */
  readonly inFlight: number;
  /** ModelRegistry reputation (0 for a licensee). */
  readonly reputation: bigint;
  /** Disputes its listing lost (`ModelSlashed`; 0 for a licensee). */
  readonly slashes: number;
}

/** The balanced weights, and the weights of each `?prefer=`: the preferred term counts four times as much. */
export const BALANCED_WEIGHTS: RouteWeights = { price: 1, latency: 1, reputation: 1 };
export const PREFERRED_WEIGHT = 4;

export function weightsFor(prefer: RoutePreference | undefined): RouteWeights {
  return prefer === undefined ? BALANCED_WEIGHTS : { ...BALANCED_WEIGHTS, [prefer]: PREFERRED_WEIGHT };
}

/** A latency below this is taken as this, so that a provider answering in 0 ms does not get an infinite term. */
const LATENCY_FLOOR_MS = 0.1;

const ratio = (numerator: bigint, denominator: bigint) => Number(numerator) / Number(denominator);
const smaller = (a: bigint, b: bigint) => (b < a ? b : a);
const larger = (a: bigint, b: bigint) => (b > a ? b : a);

/**
 * The score of each provider among `inputs`, higher is better; each term is in [0, 1] relative to the best
 * provider in the list:
 *
 *   price term       p_i = min_j price_j / price_i   (1 when price_i = 0; 0 for a paid provider beside a free one)
 *   latency term     l_i = min_j L_j / L_i,  L_i = max(latency_i, 0.1 ms) × (1 + inFlight_i)
 *   reputation term  r_i = (reputation_i + 1) / ((max_j reputation_j + 1) · (1 + slashes_i))
 *   score_i          = w_price · p_i + w_latency · l_i + w_reputation · r_i
 *
 * `L_i` is the latency a new request can expect: the measured one, times the requests queued before it. A lost
 * dispute costs a listing 10 reputation on ModelRegistry, which stops at 0; dividing by 1 + its lost disputes keeps a
 * listing that was slashed below an unblemished one of the same reputation.
 */
export function scoreProviders(inputs: readonly ScoreInput[], weights: RouteWeights): number[] {
  if (inputs.length === 0) return [];
  const minPrice = inputs.map(({ price }) => price).reduce(smaller);
  const loads = inputs.map(({ latencyMs, inFlight }) => Math.max(latencyMs, LATENCY_FLOOR_MS) * (1 + inFlight));
  const minLoad = Math.min(...loads);
  const maxReputation = inputs.map(({ reputation }) => reputation).reduce(larger);
  return inputs.map(({ price, reputation, slashes }, index) => {
    const priceTerm = price === 0n ? 1 : ratio(minPrice, price);
    const latencyTerm = minLoad / (loads[index] as number);
    const reputationTerm = ratio(reputation + 1n, maxReputation + 1n) / (1 + slashes);
    return weights.price * priceTerm + weights.latency * latencyTerm + weights.reputation * reputationTerm;
  });
}

const WeightSchema = z
  .string()
  .regex(/^[0-9]{1,4}(\.[0-9]{1,6})?$/, "must be a number from 0 to 9999")
  .transform(Number);

/**
 * `?prefer=price|latency|reputation`, or `?weights=price:W,latency:W,reputation:W` (missing terms weigh 0); and
 * `verifiable` (protocol's `PredictQuerySchema`), which the router forwards to the provider rather than weighs.
 */
const RouteQuerySchema = z
  .strictObject({
    prefer: RoutePreferenceSchema.optional(),
    verifiable: PredictQuerySchema.shape.verifiable,
    weights: z
      .string()
      .max(100)
      .transform(
        (text): { price?: string | undefined; latency?: string | undefined; reputation?: string | undefined } =>
          Object.fromEntries(
            text.split(",").map((pair) => {
              const [name = "", value = ""] = pair.split(":");
              return [name.trim(), value.trim()];
            }),
          ),
      )
      .pipe(
        z.strictObject({
          price: WeightSchema.default(0),
          latency: WeightSchema.default(0),
          reputation: WeightSchema.default(0),
        }),
      )
      .refine((w) => w.price + w.latency + w.reputation > 0, "at least one weight must be positive")
      .optional(),
  })
  .refine((query) => query.prefer === undefined || query.weights === undefined, "give prefer or weights, not both");

/** The weights a request's query asks for; `InvalidInputError` naming the query's problem otherwise. */
export function weightsOfQuery(query: unknown): RouteWeights {
  const parsed = parseInput(RouteQuerySchema, query, "query");
  return parsed.weights ?? weightsFor(parsed.prefer);
}
