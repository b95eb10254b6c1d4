import { Coalition } from "./coalition.js";
import { createSubsetMemo, requireCount, type SubsetUtility } from "./subset-utility.js";

/** Leave-one-out contributions of a round's updates, with what computing them cost. */
export interface LeaveOneOutResult {
  /** Raw marginal contributions v(N) − v(N ∖ {i}), one per update; negative when leaving i out helps. */
  readonly scores: Float64Array;
  /** Distinct coalitions evaluated (n + 1 for n ≥ 1: the full set and each set with one update left out). */
  readonly evaluations: number;
  /** Wall time of the call in milliseconds (almost all of it in the utility). */
  readonly elapsedMs: number;
  /** v(N), the utility of the aggregate of every update; null when n = 0 (nothing was evaluated). */
  readonly utilityOfAll: number | null;
}

/**
 * Leave-one-out contribution of each of `n` updates: φ_i = v(N) − v(N ∖ {i}), the change in utility when update
 * i is left out of the aggregate (for utility = −validation loss, the loss increase caused by removing i).
 * Evaluates each coalition once, one after another, in index order. For n = 1 the left-out coalition is the
 * empty set, i.e. the round's starting model. For n = 0 it returns no scores without calling `utility`.
 */
export async function leaveOneOut(n: number, utility: SubsetUtility): Promise<LeaveOneOutResult> {
  requireCount("leaveOneOut", n);
  const started = performance.now();
  const memo = createSubsetMemo("leaveOneOut", utility);
  const scores = new Float64Array(n);
  if (n === 0) return { scores, evaluations: 0, elapsedMs: performance.now() - started, utilityOfAll: null };
  const coalition = Coalition.all(n);
  const all = await memo.value(coalition);
  for (let i = 0; i < n; i++) {
    coalition.delete(i);
    scores[i] = all - (await memo.value(coalition));
    coalition.add(i);
  }
  return { scores, evaluations: memo.evaluations, elapsedMs: performance.now() - started, utilityOfAll: all };
}
