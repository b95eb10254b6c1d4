import { AggregationInputError } from "../errors.js";
import { requireCount, type SubsetUtility } from "./subset-utility.js";

/** Rounds with at most this many scored updates get exact Shapley values (2^12 = 4,096 coalitions) instead of GTG. */
export const EXACT_SHAPLEY_MAX_UPDATES = 12;

/** The largest n `exactShapley` accepts (2^20 coalitions). */
const LARGEST = 20;

/** Exact Shapley values of a round's updates, with what computing them cost. */
export interface ExactShapleyResult {
  /** φ_i, one per update, in utility units; Σφ = v(N) − v(∅) up to rounding. May be negative. */
  readonly scores: Float64Array;
  /** Coalitions evaluated: every one of the 2^n (each a model evaluation when the utility evaluates a model). */
  readonly evaluations: number;
  readonly elapsedMs: number;
  /** v(∅), the utility of the round's starting model; null when n = 0. */
  readonly utilityOfNone: number | null;
  /** v(N), the utility of the aggregate of every update; null when n = 0. */
  readonly utilityOfAll: number | null;
}

/**
 * Exact Shapley values by the subset formula φ_i = Σ_{S ⊆ N∖{i}} |S|!(n−|S|−1)!/n! · (v(S ∪ {i}) − v(S)): the
 * utility is called once for each of the 2^n coalitions (members ascending, one after another), then the values
 * are combined in float64. Meant for small rounds (see `EXACT_SHAPLEY_MAX_UPDATES`); n > 20 is refused.
 * n = 0 returns no scores without calling `utility`.
 */
export async function exactShapley(n: number, utility: SubsetUtility): Promise<ExactShapleyResult> {
  requireCount("exactShapley", n);
  if (n > LARGEST) {
    throw new AggregationInputError(`exactShapley: n = ${n} needs 2^${n} evaluations; at most ${LARGEST}`, {
      rule: "exactShapley",
      n,
    });
  }
  if (typeof utility !== "function") {
    throw new AggregationInputError("exactShapley: utility must be a function", { rule: "exactShapley" });
  }
  const started = performance.now();
  const scores = new Float64Array(n);
  if (n === 0)
    return { scores, evaluations: 0, elapsedMs: performance.now() - started, utilityOfNone: null, utilityOfAll: null };
  const count = 2 ** n;
  const values = new Float64Array(count);
  for (let mask = 0; mask < count; mask++) {
    const members: number[] = [];
    for (let j = 0; j < n; j++) if (mask & (1 << j)) members.push(j);
    const result = utility(members);
    const value = typeof result === "number" ? result : await result;
    if (typeof value !== "number" || !Number.isFinite(value)) {
      throw new AggregationInputError(`exactShapley: the utility of [${members.join(", ")}] is ${String(value)}`, {
        rule: "exactShapley",
        members,
        value: String(value),
      });
    }
    values[mask] = value;
  }
  // weight[s] = s!(n − s − 1)!/n!, built as a product so it never overflows: weight[0] = 1/n,
  // weight[s] = weight[s − 1] · s/(n − s).
  const weight = new Float64Array(n);
  weight[0] = 1 / n;
  for (let s = 1; s < n; s++) weight[s] = ((weight[s - 1] as number) * s) / (n - s);
  for (let mask = 0; mask < count; mask++) {
    let size = 0;
    for (let j = 0; j < n; j++) if (mask & (1 << j)) size++;
    if (size === n) continue;
    const base = values[mask] as number;
    const w = weight[size] as number;
    for (let i = 0; i < n; i++) {
      if (mask & (1 << i)) continue;
      scores[i] = (scores[i] as number) + w * ((values[mask | (1 << i)] as number) - base);
    }
  }
  return {
    scores,
    evaluations: count,
    elapsedMs: performance.now() - started,
    utilityOfNone: values[0] as number,
    utilityOfAll: values[count - 1] as number,
  };
}
