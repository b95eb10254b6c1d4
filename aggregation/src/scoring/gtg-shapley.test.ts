import { describe, expect, it } from "vitest";
import { type Game, shapleyByPermutations, shapleyBySubsets } from "../../test-support/exact-shapley.js";
import { AggregationInputError } from "../errors.js";
import { gtgShapley } from "./gtg-shapley.js";

const own = [0.4, 1.1, 0.05, 0.7, 2.3, 0.9];
/** Additive: v(S) = 1 + Σ_{i∈S} w_i, so φ_i = w_i. */
const additive: Game = (members) => members.reduce((sum, i) => sum + (own[i] as number), 1);
/** Concave in the sum (diminishing returns): non-additive and monotone. */
const concave: Game = (members) => Math.sqrt(members.reduce((sum, i) => sum + (own[i] as number), 0.2));
/** Players 0–2 symmetric, player 5 null, and a synergy between 3 and 4. */
const structured: Game = (members) => {
  const set = new Set(members);
  const symmetric = [0, 1, 2].filter((i) => set.has(i)).length;
  return Math.log1p(symmetric) + (set.has(3) && set.has(4) ? 1.5 : 0) + (set.has(3) ? 0.25 : 0);
};

const everyone = (n: number) => Array.from({ length: n }, (_, i) => i);

describe("the brute-force references", () => {
  it("agree with each other and with the closed forms (additivity, symmetry, null player, efficiency)", () => {
    for (const game of [additive, concave, structured]) {
      const byOrders = shapleyByPermutations(6, game).values;
      const bySubsets = shapleyBySubsets(6, game);
      expect(byOrders).toEqual(bySubsets.map((value) => expect.closeTo(value, 12)));
      const total = byOrders.reduce((a, b) => a + b, 0);
      expect(total).toBeCloseTo(game(everyone(6)) - game([]), 12);
    }
    expect(shapleyBySubsets(6, additive)).toEqual(own.map((value) => expect.closeTo(value, 12)));
    const values = shapleyBySubsets(6, structured);
    expect(values[1]).toBeCloseTo(values[0] as number, 12);
    expect(values[2]).toBeCloseTo(values[0] as number, 12);
    expect(values[0]).toBeCloseTo(Math.log(4) / 3, 12);
    expect(values[5]).toBeCloseTo(0, 12);
    expect(values[3]).toBeCloseTo(0.75 + 0.25, 12);
    expect(values[4]).toBeCloseTo(0.75, 12);
  });
});

describe("gtgShapley", () => {
  it("recovers additive values exactly, gives a null player 0, and is efficient without truncation", async () => {
    const result = await gtgShapley(6, additive, { withinRoundTruncation: 0, maxPermutations: 60 });
    expect(Array.from(result.scores)).toEqual(own.map((value) => expect.closeTo(value, 12)));
    expect(result.utilityOfNone).toBe(1);
    expect(result.utilityOfAll).toBeCloseTo(additive(everyone(6)), 12);

    const structuredResult = await gtgShapley(6, structured, { withinRoundTruncation: 0, maxPermutations: 120 });
    expect(structuredResult.scores[5]).toBe(0);
    const total = structuredResult.scores.reduce((a, b) => a + b, 0);
    expect(total).toBeCloseTo(structured(everyone(6)) - structured([]), 12);
  });

  it("estimates non-additive Shapley values within the Monte-Carlo error bound (4σ/√T)", async () => {
    for (const game of [concave, structured]) {
      const exact = shapleyByPermutations(6, game);
      const result = await gtgShapley(6, game, { withinRoundTruncation: 0, tolerance: 0, maxPermutations: 600 });
      expect(result.permutations).toBe(600);
      expect(result.converged).toBe(false);
      result.scores.forEach((value, i) => {
        const bound = 4 * Math.sqrt((exact.variances[i] as number) / result.permutations) + 1e-12;
        expect(Math.abs(value - (exact.values[i] as number))).toBeLessThanOrEqual(bound);
      });
    }
  });

  it("with within-round truncation stays within ε + 4σ/√T of exact on a monotone utility", async () => {
    const epsilon = 0.02;
    const exact = shapleyByPermutations(6, concave);
    const result = await gtgShapley(6, concave, { withinRoundTruncation: epsilon, tolerance: 0, maxPermutations: 600 });
    expect(result.truncatedSteps).toBeGreaterThan(0);
    result.scores.forEach((value, i) => {
      const bound = epsilon + 4 * Math.sqrt((exact.variances[i] as number) / result.permutations);
      expect(Math.abs(value - (exact.values[i] as number))).toBeLessThanOrEqual(bound);
    });
    const total = result.scores.reduce((a, b) => a + b, 0);
    expect(Math.abs(total - (concave(everyone(6)) - concave([])))).toBeLessThan(epsilon);
  });

  it("truncates the whole round when |v(N) − v(∅)| ≤ ε_b, evaluating only those two coalitions", async () => {
    const calls: string[] = [];
    const game = (members: readonly number[]) => {
      calls.push(members.join(","));
      return members.length === 4 ? 0.5 : 0;
    };
    const result = await gtgShapley(4, game, { betweenRoundTruncation: 0.5 });
    expect(Array.from(result.scores)).toEqual([0, 0, 0, 0]);
    expect(result).toMatchObject({ roundTruncated: true, converged: true, permutations: 0, evaluations: 2 });
    expect(calls.sort()).toEqual(["", "0,1,2,3"]);
    const untruncated = await gtgShapley(4, game, { betweenRoundTruncation: 0.25, withinRoundTruncation: 0 });
    expect(untruncated.roundTruncated).toBe(false);
    expect(untruncated.scores.reduce((a, b) => a + b, 0)).toBeCloseTo(0.5, 12);
  });

  it("stops a permutation's walk once it is within ε_i of v(N), skipping the rest of its coalitions", async () => {
    // A dictator game: every coalition with player 0 is worth 1, every other 0. φ = (1, 0, …, 0).
    const n = 8;
    const evaluated = new Set<string>();
    const dictator = (members: readonly number[]) => {
      evaluated.add(members.join(","));
      return members.includes(0) ? 1 : 0;
    };
    const truncated = await gtgShapley(n, dictator, { withinRoundTruncation: 0.5, maxPermutations: 80 });
    expect(Array.from(truncated.scores)).toEqual([1, 0, 0, 0, 0, 0, 0, 0]);
    // Past player 0 nothing is evaluated: every coalition evaluated with 0 (but N) is an evaluated prefix plus 0.
    for (const key of evaluated) {
      const members = key === "" ? [] : key.split(",").map(Number);
      if (!members.includes(0) || members.length === n) continue;
      const before = members.filter((i) => i !== 0).join(",");
      expect(before === "" || evaluated.has(before)).toBe(true);
    }
    expect(truncated.truncatedSteps).toBeGreaterThan(0);
    const full = await gtgShapley(n, dictator, { withinRoundTruncation: 0, maxPermutations: 80 });
    expect(Array.from(full.scores)).toEqual([1, 0, 0, 0, 0, 0, 0, 0]);
    expect(full.truncatedSteps).toBe(0);
    expect(truncated.evaluations).toBeLessThan(full.evaluations);
  });

  it("guided sampling starts each block's k-th permutation with update k", async () => {
    const singletons = new Set<number>();
    const result = await gtgShapley(
      7,
      (members) => {
        if (members.length === 1) singletons.add(members[0] as number);
        return Math.sqrt(members.reduce((sum, i) => sum + i + 1, 0));
      },
      { withinRoundTruncation: 0, maxPermutations: 7, minPermutations: 7 },
    );
    expect(result.permutations).toBe(7);
    expect([...singletons].sort()).toEqual(everyone(7));
  });

  it("stops when the summed standard error is within the tolerance, in whole blocks, and otherwise at maxPermutations", async () => {
    const settled = await gtgShapley(5, concave, { withinRoundTruncation: 0, maxPermutations: 5000 });
    expect(settled.converged).toBe(true);
    expect(settled.permutations % 5).toBe(0);
    expect(settled.permutations).toBeGreaterThanOrEqual(30);
    expect(settled.permutations).toBeLessThan(5000);
    expect(settled.relativeStandardError).toBeLessThanOrEqual(0.05);

    const capped = await gtgShapley(5, concave, { withinRoundTruncation: 0, tolerance: 0, maxPermutations: 52 });
    expect(capped).toMatchObject({ converged: false, permutations: 50 });
    expect(capped.relativeStandardError).toBeGreaterThan(0);
  });

  it("evaluates each distinct coalition once and reports how many", async () => {
    const counts = new Map<string, number>();
    const result = await gtgShapley(6, (members) => {
      const key = members.join(",");
      counts.set(key, (counts.get(key) ?? 0) + 1);
      return concave(members);
    });
    expect(Math.max(...counts.values())).toBe(1);
    expect(result.evaluations).toBe(counts.size);
    expect(result.evaluations).toBeLessThanOrEqual(2 ** 6);
  });

  it("handles rounds of more than 32 updates (coalitions spanning several bitset words)", async () => {
    const n = 70;
    const value = (i: number) => ((i * 37) % 11) / 10 - 0.3;
    const seen = new Set<string>();
    const game = (members: readonly number[]) => {
      seen.add(members.join(","));
      return members.reduce((sum, i) => sum + value(i), 0);
    };
    const result = await gtgShapley(n, game, { withinRoundTruncation: 0, maxPermutations: n });
    expect(Array.from(result.scores)).toEqual(everyone(n).map((i) => expect.closeTo(value(i), 10)));
    expect(result.evaluations).toBe(seen.size);
  });

  it("is deterministic for a seed, differs across seeds, and gives the same answer for an async utility", async () => {
    const options = { withinRoundTruncation: 0, tolerance: 0, maxPermutations: 60 };
    const a = await gtgShapley(6, concave, { ...options, seed: 11 });
    const b = await gtgShapley(6, concave, { ...options, seed: 11 });
    const c = await gtgShapley(6, concave, { ...options, seed: 12 });
    const async = await gtgShapley(6, async (members) => concave(members), { ...options, seed: 11 });
    expect(Array.from(b.scores)).toEqual(Array.from(a.scores));
    expect(Array.from(async.scores)).toEqual(Array.from(a.scores));
    expect(Array.from(c.scores)).not.toEqual(Array.from(a.scores));
  });

  it("scores one update against the starting model and no updates without evaluating", async () => {
    const one = await gtgShapley(1, (members) => (members.length === 0 ? 0.25 : 1));
    expect(Array.from(one.scores)).toEqual([0.75]);
    expect(one.evaluations).toBe(2);
    const none = await gtgShapley(0, () => {
      throw new Error("must not be called");
    });
    expect(none.scores.length).toBe(0);
    expect(none.evaluations).toBe(0);
  });

  it("rejects options and utilities it cannot honour", async () => {
    await expect(gtgShapley(3, concave, { maxPermutations: 0 })).rejects.toThrow(AggregationInputError);
    await expect(gtgShapley(3, concave, { tolerance: -1 })).rejects.toThrow(AggregationInputError);
    await expect(gtgShapley(3, concave, { withinRoundTruncation: Number.NaN })).rejects.toThrow(AggregationInputError);
    await expect(gtgShapley(3, concave, { seed: 0.5 })).rejects.toThrow(AggregationInputError);
    await expect(gtgShapley(3, concave, { minPermutations: 0 })).rejects.toThrow(AggregationInputError);
    await expect(gtgShapley(-2, concave)).rejects.toThrow(AggregationInputError);
    await expect(gtgShapley(3, (members) => (members.length === 1 ? Number.NaN : members.length))).rejects.toThrow(
      AggregationInputError,
    );
  });
});
