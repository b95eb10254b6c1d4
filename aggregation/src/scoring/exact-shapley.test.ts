import { describe, expect, it } from "vitest";
import { type Game, shapleyBySubsets } from "../../test-support/exact-shapley.js";
import { random } from "../../test-support/random.js";
import { AggregationInputError } from "../errors.js";
import { exactShapley } from "./exact-shapley.js";
import { gtgShapley } from "./gtg-shapley.js";
import { scoreContributions } from "./score-contributions.js";

/** A game that counts its evaluations (the cost measure: one evaluation is one model evaluation in a real round). */
function counted(game: Game): { game: Game; calls: () => number } {
  let calls = 0;
  return {
    game: (members) => {
      calls++;
      return game(members);
    },
    calls: () => calls,
  };
}

/** A random non-additive monotone game: diminishing returns in the weights plus pairwise synergies. */
function randomGame(seed: number, n: number): Game {
  const next = random(seed);
  const weights = Array.from({ length: n }, () => next());
  const synergy = Array.from({ length: n * n }, () => (next() - 0.5) * 0.1);
  return (members) => {
    let value = Math.sqrt(0.2 + members.reduce((sum, i) => sum + (weights[i] as number), 0));
    for (const i of members) for (const j of members) if (i < j) value += synergy[i * n + j] as number;
    return value;
  };
}

const l1 = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs((a[i] as number) - (b[i] as number));
  return sum;
};

describe("exactShapley, closed forms", () => {
  it("additive utility: each update's value is its own contribution, with exactly 2^n evaluations", async () => {
    const own = [0.4, -1.1, 0.05, 0.7, 2.3, 0.9, -0.3, 0.15, 1.6, 0.02, 0.5, 0.8];
    const { game, calls } = counted((members) => members.reduce((sum, i) => sum + (own[i] as number), 3));
    const result = await exactShapley(own.length, game);
    expect(Array.from(result.scores)).toEqual(own.map((value) => expect.closeTo(value, 12)));
    expect(calls()).toBe(2 ** 12);
    expect(result.evaluations).toBe(4096);
    expect(result.utilityOfNone).toBe(3);
  });

  it("symmetric game v(S) = f(|S|): equal shares (f(n) − f(0))/n", async () => {
    const f = (size: number) => Math.log1p(size * size);
    const result = await exactShapley(9, (members) => f(members.length));
    for (const value of result.scores) expect(value).toBeCloseTo((f(9) - f(0)) / 9, 12);
  });

  it("is efficient (Σφ = v(N) − v(∅)) and equals the brute-force subset formula on random games", async () => {
    for (const [seed, n] of [
      [1, 3],
      [2, 6],
      [3, 8],
      [4, 10],
    ] as const) {
      const game = randomGame(seed, n);
      const result = await exactShapley(n, game);
      const all = Array.from({ length: n }, (_, i) => i);
      const total = result.scores.reduce((a, b) => a + b, 0);
      expect(total).toBeCloseTo(game(all) - game([]), 10);
      expect(Array.from(result.scores)).toEqual(shapleyBySubsets(n, game).map((value) => expect.closeTo(value, 10)));
    }
  });

  it("gives no scores without evaluating for n = 0, and refuses n > 20 and bad utilities", async () => {
    const none = await exactShapley(0, () => {
      throw new Error("must not be called");
    });
    expect(none.scores.length).toBe(0);
    await expect(exactShapley(21, () => 0)).rejects.toThrow(AggregationInputError);
    await expect(exactShapley(2, (members) => (members.length === 2 ? Number.NaN : 0))).rejects.toThrow(
      AggregationInputError,
    );
  });
});

describe("GTG-Shapley against exact Shapley", () => {
  // With the default tolerance 0.05 the stopping rule has the summed standard error at most 5 % of |v(N) − v(∅)|;
  // the stated bound, the fidelity goal, is an L1 error of at most 10 % of it (2× the tolerance: the error
  // of a sum of means rarely exceeds twice its summed standard error), within-round truncation (ε_i = 1e-3 per walk)
  // included.
  it("is within L1 ≤ 0.1·|v(N) − v(∅)| of the exact values on random games of 6 to 10 updates, and stops", async () => {
    for (const [seed, n] of [
      [11, 6],
      [12, 8],
      [13, 10],
      [14, 10],
      [15, 9],
    ] as const) {
      const game = randomGame(seed, n);
      const exact = await exactShapley(n, game);
      const estimate = await gtgShapley(n, game, { seed, maxPermutations: 20_000 });
      const spread = Math.abs((exact.utilityOfAll as number) - (exact.utilityOfNone as number));
      expect(estimate.converged).toBe(true);
      expect(l1(estimate.scores, exact.scores)).toBeLessThanOrEqual(0.1 * spread);
    }
  });

  it("stops on a converging game before its cap and reports the permutations it used", async () => {
    // Near-additive: marginals vary little, so the standard error falls fast.
    const weights = [0.9, 0.4, 1.3, 0.2, 0.7, 1.1, 0.5, 0.8, 0.3, 0.6];
    const game: Game = (members) => Math.sqrt(4 + members.reduce((sum, i) => sum + (weights[i] as number), 0));
    const result = await gtgShapley(10, game, { withinRoundTruncation: 0, maxPermutations: 10_000 });
    expect(result.converged).toBe(true);
    expect(result.permutations).toBeLessThan(10_000);
    expect(result.permutations % 10).toBe(0);
    expect(result.relativeStandardError).toBeLessThanOrEqual(0.05);
  });
});

describe("scoreContributions picks exact Shapley for small gtg-shapley rounds", () => {
  // Validation loss ½‖w − w*‖² on a 4-parameter model; each update moves part of the way towards w*.
  const target = [1, -1, 0.5, 2];
  const validationLoss = async (weights: Float32Array) =>
    weights.reduce((sum, value, i) => sum + (value - (target[i] as number)) ** 2 / 2, 0);
  const round = (n: number) => {
    const global = new Float32Array(4);
    const deltas = Array.from({ length: n }, (_, k) => Float32Array.from(target, (t) => t * (0.3 + (k % 5) * 0.1)));
    return { global, deltas, numExamples: Array.from({ length: n }, (_, k) => 10 + k) };
  };
  const scoring = { method: "gtg-shapley", validationSetCid: "unused" } as const;

  it("≤ 12 accepted updates: exact, 2^n evaluations (counted); 13: Stratified-Shapley, or GTG-Shapley when named", async () => {
    for (const n of [5, 12]) {
      let calls = 0;
      const result = await scoreContributions({
        scoring,
        ...round(n + 1),
        rejected: new Set([n]),
        validationLoss: (weights) => {
          calls++;
          return validationLoss(weights);
        },
      });
      expect(result.computedBy).toBe("exact-shapley");
      expect(result.evaluations).toBe(2 ** n);
      expect(calls).toBe(2 ** n);
      expect(result.scores[n]).toBe(0n);
    }
    const large = await scoreContributions({ scoring, ...round(13), rejected: new Set(), validationLoss });
    expect(large.computedBy).toBe("stratified-shapley");
    expect(large.evaluations).toBeLessThan(2 ** 13);
    const gtg = await scoreContributions({
      scoring: { ...scoring, estimator: "gtg" },
      ...round(13),
      rejected: new Set(),
      validationLoss,
    });
    expect(gtg.computedBy).toBe("gtg-shapley");
    expect(gtg.evaluations).toBeLessThan(2 ** 13);
  });
});
