import { SeededRandom } from "@tributary/protocol";
import { AggregationInputError } from "../errors.js";
import { Coalition } from "./coalition.js";
import { normaliseScores } from "./normalise-scores.js";
import { addSample, binomial, createSizeStratum, GROUPS, type SizeStratum, sizeTerm } from "./size-stratum.js";
import { createSubsetMemo, numberOption, requireCount, type SubsetUtility } from "./subset-utility.js";

/** Tuning of `stratifiedShapley`. */
export interface StratifiedShapleyOptions {
  /**
   * ε_b, between-round truncation (as GTG-Shapley's): when |v(N) − v(∅)| ≤ ε_b the round barely changed the model
   * and every contribution is 0; only v(∅) and v(N) are evaluated. In the utility's units. Default 1e-3.
   */
  readonly betweenRoundTruncation?: number;
  /**
   * Converged when the estimated L1 error of the paid shares (the clipped, normalised scores, what a round pays)
   * is at most this. Default 0.06 (measured at n = 10 on FL rounds: mean L1 0.033 to exact at 0.33× its
   * evaluations, BENCHMARKS.md).
   */
  readonly tolerance?: number;
  /**
   * At most this many distinct coalitions are evaluated (at least 2n + 2, at most 2^n). Default
   * min(2^n, max(1000, 2n(n + 1))): enough for every size to be fitted.
   */
  readonly maxEvaluations?: number;
  /** Seed of the coalition sampler (a safe integer); the same seed and utility give the same scores. Default 0. */
  readonly seed?: number;
}

/** Stratified-regression Shapley contributions of a round's updates, with what computing them cost. */
export interface StratifiedShapleyResult {
  /** Estimated Shapley values φ_i, one per update, in utility units; Σφ = v(N) − v(∅) exactly. May be negative. */
  readonly scores: Float64Array;
  /** Distinct coalitions evaluated (each is one model evaluation when the utility evaluates a model). */
  readonly evaluations: number;
  /** Whether the stopping rule fired (true after between-round truncation or once every coalition was evaluated). */
  readonly converged: boolean;
  /**
   * The estimated L1 error of the paid shares when it stopped (stratified jackknife with the finite-population
   * correction of sampling without replacement): what `tolerance` tests; 0 when every coalition was evaluated,
   * +∞ when the samples were too few to tell.
   */
  readonly estimatedError: number;
  /** Whether between-round truncation applied (|v(N) − v(∅)| ≤ ε_b, all scores 0). */
  readonly roundTruncated: boolean;
  /** Whether every coalition was evaluated, so the scores are the exact Shapley values. */
  readonly exhaustive: boolean;
  readonly elapsedMs: number;
  /** v(∅), the utility of the round's starting model; null when n = 0. */
  readonly utilityOfNone: number | null;
  /** v(N), the utility of the aggregate of every update; null when n = 0. */
  readonly utilityOfAll: number | null;
}

interface Settings {
  readonly betweenRound: number;
  readonly tolerance: number;
  readonly maxEvaluations: number;
  readonly seed: number;
}

function settings(n: number, options: StratifiedShapleyOptions): Settings {
  const number = (name: keyof StratifiedShapleyOptions, fallback: number, integer: boolean, min: number) =>
    numberOption("stratifiedShapley", options, name, fallback, integer, min);
  const everything = 2 ** n;
  const fallback = Math.min(everything, Math.max(1000, 2 * n * (n + 1)));
  return {
    betweenRound: number("betweenRoundTruncation", 1e-3, false, 0),
    tolerance: number("tolerance", 0.06, false, 0),
    maxEvaluations: Math.min(everything, number("maxEvaluations", fallback, true, Math.min(everything, 2 * n + 2))),
    seed: number("seed", 0, true, Number.MIN_SAFE_INTEGER),
  };
}

/** Sizes k and n − k, sampled together as complementary pairs. */
interface PairStratum {
  readonly small: SizeStratum;
  readonly large: SizeStratum;
  /** Shapley-kernel weight of its sizes, (n − 1)/(k(n − k)) per size: what it is filled in proportion to. */
  readonly weight: number;
  /** Distinct pairs it holds. */
  readonly capacity: number;
  pairs: number;
}

/**
 * Shapley values by stratified regression. With D_i^s the mean utility of the coalitions of size s that contain
 * update i minus that of those of size s without it, the Shapley value is φ_i = (v(N) − v(∅))/n + (1/n)·Σ_{s=1}^{n−1}
 * D_i^s: within one size the FedAvg dilution is the same for every coalition, so D^s is a contrast between
 * coalitions alike but for their members, which an additive fit within the size captures well. So:
 * - between-round truncation as GTG-Shapley's: |v(N) − v(∅)| ≤ ε_b gives all 0 after 2 evaluations;
 * - sizes 1 and n − 1 are exact: the n singletons and the n coalitions of n − 1 (with ∅ and N, 2n + 2 evaluations);
 * - the other sizes are sampled as complementary pairs (S, N∖S) of sizes k and n − k, uniformly without
 *   replacement within each size (stratified sampling, Maleki et al. 2013; paired sampling, Covert and Lee 2021):
 *   first every size to 2n samples (or all it has), then the pairs of sizes in proportion to their Shapley-kernel
 *   weight (n − 1)/(k(n − k)), small sizes first;
 * - per size s, the least-squares fit v(T) ≈ Σ_{j∈T} β_j over its sampled coalitions gives
 *   D̂_i^s = (n/(n − 1))(β_i − β̄), which is exactly D_i^s once the size is evaluated completely (a regression
 *   estimator: its error comes from what is not additive within a size, not from the utility's spread). Σφ̂ is
 *   v(N) − v(∅) exactly;
 * - stopping rule on what is paid: each size deals its samples round-robin into 10 groups; after each batch of
 *   ~n/2 pairs, once every size holds 2n samples or all it has, a stratified delete-a-group jackknife estimates each
 *   paid share's variance (shares = the clipped, normalised scores, as `normaliseScores` pays them): per size,
 *   the spread of the shares with one of its groups left out, times the size's finite-population correction
 *   1 − (evaluated)/C(n, s), since it is sampled without replacement and what is evaluated has no error left. It
 *   stops once Σ_i of the shares' standard errors (≈ 1.25× their expected L1 error) is ≤ `tolerance`, when
 *   `maxEvaluations` is reached (`converged: false`), or when every coalition was evaluated (the exact values).
 * A size with fewer than n samples (a small `maxEvaluations` at large n) leans to β⁰ interpolated from sizes 1 and
 * n − 1 where its samples leave β open. Each distinct coalition is evaluated once, one after another. Memory: about
 * 11·n³ numbers (the per-size, per-group normal equations). n = 0 returns no scores without calling `utility`.
 */
export async function stratifiedShapley(
  n: number,
  utility: SubsetUtility,
  options: StratifiedShapleyOptions = {},
): Promise<StratifiedShapleyResult> {
  requireCount("stratifiedShapley", n);
  const config = settings(Math.max(1, n), options);
  const started = performance.now();
  const scores = new Float64Array(n);
  const base = {
    scores,
    converged: true,
    estimatedError: 0,
    roundTruncated: false,
    exhaustive: true,
    utilityOfNone: null,
    utilityOfAll: null,
  };
  if (n === 0) return { ...base, evaluations: 0, elapsedMs: performance.now() - started };
  const memo = createSubsetMemo("stratifiedShapley", utility);
  const coalition = new Coalition(n);
  const value = async (members: readonly number[]): Promise<number> => {
    coalition.clear();
    for (const member of members) coalition.add(member);
    const pending = memo.value(coalition);
    return typeof pending === "number" ? pending : await pending;
  };
  const everyone = Array.from({ length: n }, (_, i) => i);
  const none = await value([]);
  const all = await value(everyone);
  const total = all - none;
  const finish = (rest: Partial<StratifiedShapleyResult>): StratifiedShapleyResult => ({
    ...base,
    utilityOfNone: none,
    utilityOfAll: all,
    evaluations: memo.evaluations,
    elapsedMs: performance.now() - started,
    ...rest,
  });
  if (Math.abs(total) <= config.betweenRound) return finish({ roundTruncated: true, exhaustive: n <= 1 });
  if (n === 1) {
    scores[0] = total;
    return finish({});
  }

  // The exact sizes: D_i^1 = v({i}) − mean_{j≠i} v({j}) and D_i^{n−1} = mean_{j≠i} v(N∖{j}) − v(N∖{i}).
  const edge = new Float64Array(n).fill(total / n);
  const singles = new Float64Array(n);
  for (let i = 0; i < n; i++) singles[i] = await value([i]);
  /** D_i of an exact size, from its n values (sign −1: size n − 1, whose coalition without i is N∖{i}). */
  const contrast = (values: Float64Array, sign: number) => {
    const sum = values.reduce((a, b) => a + b, 0);
    return values.map((own) => sign * (own - (sum - own) / (n - 1)));
  };
  const first = contrast(singles, 1);
  let last = first;
  if (n > 2) {
    const allBut = new Float64Array(n);
    for (let i = 0; i < n; i++) allBut[i] = await value(everyone.filter((j) => j !== i));
    last = contrast(allBut, -1);
  }
  for (let i = 0; i < n; i++) {
    edge[i] = (edge[i] as number) + ((first[i] as number) + (n > 2 ? (last[i] as number) : 0)) / n;
  }

  const sizes = new Map<number, SizeStratum>();
  const sizeStratum = (size: number): SizeStratum => {
    const existing = sizes.get(size);
    if (existing !== undefined) return existing;
    // β⁰ = ((n − 1)/n)·D⁰ with D⁰ interpolated linearly in the size between D^1 and D^{n−1}.
    const prior = first.map(
      (low, i) => (((n - 1) / n) * ((n - 1 - size) * low + (size - 1) * (last[i] as number))) / (n - 2),
    );
    const created = createSizeStratum(n, size, prior);
    sizes.set(size, created);
    return created;
  };
  const strata: PairStratum[] = [];
  for (let k = 2; 2 * k <= n; k++) {
    const paired = 2 * k < n;
    strata.push({
      small: sizeStratum(k),
      large: sizeStratum(n - k),
      weight: ((paired ? 2 : 1) * (n - 1)) / (k * (n - k)),
      capacity: paired ? binomial(n, k) : binomial(n, k) / 2,
      pairs: 0,
    });
  }

  const estimate = (): Float64Array => {
    const phi = Float64Array.from(edge);
    for (const stratum of sizes.values()) {
      const term = sizeTerm(stratum, n, -1);
      if (term === null) {
        throw new AggregationInputError("stratifiedShapley: a size's fit is not solvable", {
          rule: "stratifiedShapley",
          size: stratum.size,
        });
      }
      stratum.term = term;
      for (let i = 0; i < n; i++) phi[i] = (phi[i] as number) + (term[i] as number);
    }
    return phi;
  };

  /**
   * Σ_i of the paid shares' standard errors: per size not evaluated completely, the delete-a-group jackknife
   * variance of the shares (its groups left out one at a time, the other sizes whole) times its finite-population
   * correction, summed over sizes (sampled independently). +∞ when a group-deleted fit is not solvable.
   */
  const paidError = (phi: Float64Array): number => {
    const variance = new Float64Array(n);
    const replicates: Float64Array[] = [];
    for (const stratum of sizes.values()) {
      const correction = 1 - stratum.count / stratum.population;
      if (correction <= 0) continue;
      replicates.length = 0;
      for (let g = 0; g < GROUPS; g++) {
        const term = sizeTerm(stratum, n, g);
        if (term === null) return Number.POSITIVE_INFINITY;
        replicates.push(
          normaliseScores(phi.map((value, i) => value - (stratum.term[i] as number) + (term[i] as number))),
        );
      }
      for (let i = 0; i < n; i++) {
        let mean = 0;
        for (const shares of replicates) mean += shares[i] as number;
        mean /= GROUPS;
        let squares = 0;
        for (const shares of replicates) squares += ((shares[i] as number) - mean) ** 2;
        variance[i] = (variance[i] as number) + ((GROUPS - 1) / GROUPS) * squares * correction;
      }
    }
    let error = 0;
    for (let i = 0; i < n; i++) error += Math.sqrt(variance[i] as number);
    return error;
  };

  const random = new SeededRandom(config.seed);
  const seen = new Set<string>();
  const order = Uint32Array.from(everyone);
  const complement = new Coalition(n);
  /** A uniformly random k-subset whose pair was not sampled yet, and its complement (members ascending). */
  const draw = (k: number): [number[], number[]] => {
    for (;;) {
      for (let j = 0; j < k; j++) {
        const pick = j + random.nextInt(n - j);
        const held = order[j] as number;
        order[j] = order[pick] as number;
        order[pick] = held;
      }
      coalition.clear();
      for (let j = 0; j < k; j++) coalition.add(order[j] as number);
      const key = coalition.key();
      if (seen.has(key)) continue;
      complement.clear();
      for (let i = 0; i < n; i++) if (!coalition.has(i)) complement.add(i);
      seen.add(key);
      seen.add(complement.key());
      return [coalition.members(), complement.members()];
    }
  };
  const record = async (stratum: SizeStratum, members: readonly number[], group: number) =>
    addSample(stratum, n, members, await value(members), group);
  const filled = (stratum: SizeStratum) => stratum.count >= Math.min(stratum.population, 2 * n);
  const ready = () => [...sizes.values()].every(filled);

  const batch = Math.max(2, Math.ceil(n / 2));
  let converged = false;
  let estimatedError = Number.POSITIVE_INFINITY;
  let sinceTest = 0;
  for (;;) {
    // First every size to its minimum (2n samples, or all it has), then the pair of sizes furthest below its
    // kernel-weight share (ties: the smaller sizes).
    let next: PairStratum | undefined;
    let best = Number.NEGATIVE_INFINITY;
    for (const stratum of strata) {
      if (stratum.pairs >= stratum.capacity) continue;
      const short = !filled(stratum.small) || !filled(stratum.large);
      const priority = (short ? 1e6 : 0) + stratum.weight / (stratum.pairs + 1);
      if (priority > best) {
        best = priority;
        next = stratum;
      }
    }
    if (next === undefined) {
      estimatedError = 0;
      converged = true;
      break;
    }
    if (memo.evaluations + 2 > config.maxEvaluations) break;
    const [members, rest] = draw(next.small.size);
    const group = next.pairs % GROUPS;
    next.pairs++;
    await record(next.small, members, group);
    await record(next.large, rest, group);
    if (++sinceTest >= batch && ready()) {
      sinceTest = 0;
      estimatedError = paidError(estimate());
      if (estimatedError <= config.tolerance) {
        converged = true;
        break;
      }
    }
  }
  const phi = estimate();
  const exhaustive = strata.every((stratum) => stratum.pairs >= stratum.capacity);
  if (!converged && ready()) estimatedError = paidError(phi);
  scores.set(phi);
  return finish({ converged, estimatedError, exhaustive });
}
