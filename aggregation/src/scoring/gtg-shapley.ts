import { SeededRandom } from "@tributary/protocol";
import { Coalition } from "./coalition.js";
import { createSubsetMemo, numberOption, requireCount, type SubsetUtility } from "./subset-utility.js";

/** Tuning of `gtgShapley`. Thresholds are in the utility's own units (e.g. accuracy in [0, 1], or −loss). */
export interface GtgShapleyOptions {
  /**
   * ε_b, between-round truncation: when |v(N) − v(∅)| ≤ ε_b the round barely changed the model and every
   * contribution is 0; only v(∅) and v(N) are evaluated. Default 1e-3.
   */
  readonly betweenRoundTruncation?: number;
  /**
   * ε_i, within-round truncation: while walking a permutation, once |v(N) − v(prefix)| < ε_i the remaining
   * updates of that permutation get marginal contribution 0 and their prefixes are not evaluated. 0 disables it
   * (plain Monte-Carlo permutation sampling). Default 1e-3.
   */
  readonly withinRoundTruncation?: number;
  /**
   * Stop after at most this many permutations (rounded down to whole blocks of n, at least one). Default
   * max(1000, 20n): the statistical stopping rule usually ends far earlier; a round with a harmful update (large
   * marginal variance) may need it all.
   */
  readonly maxPermutations?: number;
  /** Never test convergence before this many permutations (rounded up to whole blocks of n). Default max(30, n). */
  readonly minPermutations?: number;
  /**
   * Converged when the estimates' summed standard error, Σ_i s_i/√T (s_i the sample standard deviation of update
   * i's marginal contributions over the T permutations), is at most this share of what the shares are paid from,
   * max(Σ_i max(0, φ_i), |v(N) − v(∅)|): the L1 error of the paid shares is then about this small. Default 0.05.
   */
  readonly tolerance?: number;
  /** Seed of the permutation sampler (a safe integer); the same seed and utility give the same scores. Default 0. */
  readonly seed?: number;
}

/** GTG-Shapley contributions of a round's updates, with what computing them cost. */
export interface GtgShapleyResult {
  /** Estimated Shapley values φ_i, one per update, in utility units; Σφ ≈ v(N) − v(∅). May be negative. */
  readonly scores: Float64Array;
  /** Distinct coalitions evaluated (each is one model evaluation when the utility evaluates a model). */
  readonly evaluations: number;
  /** Permutations sampled (a multiple of n; 0 when the round was truncated). */
  readonly permutations: number;
  /** Whether the convergence test passed (true after between-round truncation); false: maxPermutations hit. */
  readonly converged: boolean;
  /** Σ_i s_i/√T ÷ max(Σφ⁺, |v(N) − v(∅)|) at the end (0 after between-round truncation): what the tolerance tests. */
  readonly relativeStandardError: number;
  /** Whether between-round truncation applied (|v(N) − v(∅)| ≤ ε_b, all scores 0). */
  readonly roundTruncated: boolean;
  /** Walk steps skipped by within-round truncation, over all permutations (out of permutations × n). */
  readonly truncatedSteps: number;
  /** Wall time of the call in milliseconds (almost all of it in the utility). */
  readonly elapsedMs: number;
  /** v(∅), the utility of the round's starting model; null when n = 0. */
  readonly utilityOfNone: number | null;
  /** v(N), the utility of the aggregate of every update; null when n = 0. */
  readonly utilityOfAll: number | null;
}

interface Settings {
  readonly betweenRound: number;
  readonly withinRound: number;
  readonly maxBlocks: number;
  readonly minPermutations: number;
  readonly tolerance: number;
  readonly seed: number;
}

function settings(n: number, options: GtgShapleyOptions): Settings {
  const number = (name: keyof GtgShapleyOptions, fallback: number, integer: boolean, min: number) =>
    numberOption("gtgShapley", options, name, fallback, integer, min);
  const minimum = Math.max(number("minPermutations", Math.max(30, n), true, 1), 2);
  return {
    betweenRound: number("betweenRoundTruncation", 1e-3, false, 0),
    withinRound: number("withinRoundTruncation", 1e-3, false, 0),
    maxBlocks: Math.max(1, Math.floor(number("maxPermutations", Math.max(1000, 20 * n), true, 1) / n)),
    minPermutations: Math.ceil(minimum / n) * n,
    tolerance: number("tolerance", 0.05, false, 0),
    seed: number("seed", 0, true, Number.MIN_SAFE_INTEGER),
  };
}

/**
 * Σ_i s_i/√T, the summed standard error of the T-permutation means (from the sums and sums of squares), relative
 * to what the shares are paid from: max(Σ_i max(0, φ̂_i), |v(N) − v(∅)|). Payouts normalise the positive parts, so
 * this is about the L1 error of the paid shares.
 */
function relativeError(sums: Float64Array, squares: Float64Array, permutations: number, spread: number): number {
  if (permutations < 2) return Number.POSITIVE_INFINITY;
  let error = 0;
  let positive = 0;
  for (let i = 0; i < sums.length; i++) {
    const mean = (sums[i] as number) / permutations;
    const variance = Math.max(0, ((squares[i] as number) - permutations * mean * mean) / (permutations - 1));
    error += Math.sqrt(variance / permutations);
    positive += Math.max(0, mean);
  }
  return error / Math.max(positive, spread);
}

/**
 * GTG-Shapley (Liu, Ding, Liu, Yu and Liu 2022, "GTG-Shapley: Efficient and Accurate Participant Contribution
 * Evaluation in Federated Learning"): a truncated Monte-Carlo estimate of each update's Shapley value
 * φ_i = E_π[v(P_i^π ∪ {i}) − v(P_i^π)] over uniformly random orders π, where P_i^π are the updates before i,
 * with the paper's three savings:
 * - between-round truncation: if |v(N) − v(∅)| ≤ ε_b, every φ_i is 0;
 * - within-round truncation: a permutation's walk stops once its running utility is within ε_i of v(N);
 * - guided sampling: permutations come in blocks of n, the k-th of a block starting with update k and the rest
 *   in a uniformly random order (seeded), so every update is measured first (against the starting model) equally
 *   often.
 * φ is the mean marginal contribution over all sampled permutations (an update a truncated walk did not reach
 * contributes 0 to it). After each block, once at least `minPermutations` were sampled, it stops when the estimate
 * is precise enough for the shares it pays: the summed standard error Σ_i s_i/√T is at most `tolerance` ·
 * max(Σ_i max(0, φ_i), |v(N) − v(∅)|) (a statistical criterion, so a game whose marginals vary little stops early and a noisy one runs
 * on); otherwise it stops at `maxPermutations` with `converged: false`. Guided blocks are stratified samples, so
 * the sample variance overstates their error: the test errs on the side of running longer. Each distinct coalition is evaluated once (memoised), so
 * `evaluations` ≤ 2^n. Coalitions of one walk are evaluated one after another (truncation needs each value
 * before the next). n = 0 returns no scores without calling `utility`.
 */
export async function gtgShapley(
  n: number,
  utility: SubsetUtility,
  options: GtgShapleyOptions = {},
): Promise<GtgShapleyResult> {
  requireCount("gtgShapley", n);
  const config = settings(Math.max(1, n), options);
  const started = performance.now();
  const scores = new Float64Array(n);
  const empty = {
    scores,
    evaluations: 0,
    permutations: 0,
    converged: true,
    relativeStandardError: 0,
    roundTruncated: false,
    truncatedSteps: 0,
    utilityOfNone: null,
    utilityOfAll: null,
  };
  if (n === 0) return { ...empty, elapsedMs: performance.now() - started };
  const memo = createSubsetMemo("gtgShapley", utility);
  const coalition = new Coalition(n);
  const none = await memo.value(coalition);
  const all = await memo.value(Coalition.all(n));
  const ends = { utilityOfNone: none, utilityOfAll: all };
  if (Math.abs(all - none) <= config.betweenRound) {
    return {
      ...empty,
      ...ends,
      roundTruncated: true,
      evaluations: memo.evaluations,
      elapsedMs: performance.now() - started,
    };
  }

  const random = new SeededRandom(config.seed);
  const sums = new Float64Array(n);
  const squares = new Float64Array(n);
  const order = new Uint32Array(n);
  let permutations = 0;
  let truncatedSteps = 0;
  let converged = false;
  let relativeStandardError = Number.POSITIVE_INFINITY;
  const spread = Math.abs(all - none);
  for (let block = 0; block < config.maxBlocks && !converged; block++) {
    for (let first = 0; first < n; first++) {
      order[0] = first;
      for (let i = 0, at = 1; i < n; i++) if (i !== first) order[at++] = i;
      random.shuffle(order, 1);
      coalition.clear();
      let previous = none;
      for (let j = 0; j < n; j++) {
        if (Math.abs(all - previous) < config.withinRound) {
          truncatedSteps += n - j;
          break;
        }
        const member = order[j] as number;
        coalition.add(member);
        const pending = memo.value(coalition);
        const value = typeof pending === "number" ? pending : await pending;
        const marginal = value - previous;
        sums[member] = (sums[member] as number) + marginal;
        squares[member] = (squares[member] as number) + marginal * marginal;
        previous = value;
      }
      permutations++;
    }
    if (permutations >= config.minPermutations) {
      relativeStandardError = relativeError(sums, squares, permutations, spread);
      converged = relativeStandardError <= config.tolerance;
    }
  }
  if (permutations < config.minPermutations) {
    relativeStandardError = relativeError(sums, squares, permutations, spread);
  }
  for (let i = 0; i < n; i++) scores[i] = (sums[i] as number) / permutations;
  return {
    scores,
    evaluations: memo.evaluations,
    permutations,
    converged,
    relativeStandardError,
    roundTruncated: false,
    truncatedSteps,
    elapsedMs: performance.now() - started,
    ...ends,
  };
}
