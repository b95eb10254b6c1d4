import { describe, expect, it } from "vitest";
import { type Game, shapleyBySubsets } from "../../test-support/exact-shapley.js";
import { random } from "../../test-support/random.js";
import { AggregationInputError } from "../errors.js";
import { stratifiedShapley } from "./stratified-shapley.js";

const everyone = (n: number) => Array.from({ length: n }, (_, i) => i);

/**
 * A game given by its Harsanyi dividends: v(S) = Σ_{T ⊆ S} d_T. Its Shapley values are φ_i = Σ_{T ∋ i} d_T/|T|
 * (each dividend split equally among its members): a closed form for any n.
 */
interface DividendGame {
  readonly game: Game;
  readonly shapley: number[];
}

function dividendGame(n: number, dividends: ReadonlyArray<readonly [readonly number[], number]>): DividendGame {
  const game: Game = (members) => {
    const set = new Set(members);
    return dividends.reduce((sum, [team, d]) => (team.every((i) => set.has(i)) ? sum + d : sum), 0);
  };
  const shapley = new Array<number>(n).fill(0);
  for (const [team, d] of dividends) for (const i of team) shapley[i] = (shapley[i] as number) + d / team.length;
  return { game, shapley };
}

/**
 * Ten updates like a skewed FL round: some help alone, some hurt (negative singleton dividends), pairs overlap
 * (negative pair dividends: redundant data), a few synergies, and a three-way term.
 */
function roundLikeGame(seed: number): DividendGame {
  const next = random(seed);
  const n = 10;
  const dividends: Array<[number[], number]> = [];
  for (let i = 0; i < n; i++) dividends.push([[i], i % 3 === 0 ? -0.02 - 0.03 * next() : 0.05 + 0.1 * next()]);
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) if (next() < 0.5) dividends.push([[i, j], (next() - 0.6) * 0.04]);
  }
  dividends.push([[1, 4, 7], 0.05]);
  return dividendGame(n, dividends);
}

/** What a round pays: scores clipped at 0 and normalised (written out here, independently of normaliseScores). */
function paid(scores: ArrayLike<number>): number[] {
  const positive = Array.from(scores, (value) => Math.max(0, value));
  const sum = positive.reduce((a, b) => a + b, 0);
  return positive.map((value) => value / sum);
}

const l1 = (a: readonly number[], b: readonly number[]) =>
  a.reduce((sum, value, i) => sum + Math.abs(value - (b[i] as number)), 0);

/** Glove game: v(S) = matched pairs of left gloves (players 0–2) and right gloves (3–7). */
const glove: Game = (members) => Math.min(members.filter((i) => i < 3).length, members.filter((i) => i >= 3).length);

/** Weighted voting [quota 9; 4, 3, 2, 2, 1, 1, 1, 1, 1, 1]: a coalition wins (1) when its weight reaches 9. */
const weights = [4, 3, 2, 2, 1, 1, 1, 1, 1, 1];
const voting: Game = (members) => (members.reduce((sum, i) => sum + (weights[i] as number), 0) >= 9 ? 1 : 0);

describe("stratifiedShapley", () => {
  it("recovers an additive game's values exactly from any sample, and Σφ = v(N) − v(∅)", async () => {
    const own = [0.4, -1.1, 0.05, 0.7, 2.3, 0.9, -0.2, 0.3, 0.6, 1.5, -0.4, 0.8];
    const additive: Game = (members) => members.reduce((sum, i) => sum + (own[i] as number), 1);
    for (const seed of [0, 1, 2]) {
      const result = await stratifiedShapley(12, additive, { seed, maxEvaluations: 60, tolerance: 0 });
      // Exact up to rounding amplified by the ridge of the sizes holding fewer than n samples.
      expect(Array.from(result.scores)).toEqual(own.map((value) => expect.closeTo(value, 6)));
      expect(result.scores.reduce((a, b) => a + b, 0)).toBeCloseTo(additive(everyone(12)) - additive([]), 10);
      expect(result.evaluations).toBeLessThanOrEqual(60);
      expect(result.exhaustive).toBe(false);
    }
  });

  it("is exact Shapley once every coalition is evaluated: dividend closed form, glove game, weighted voting", async () => {
    const dividends = roundLikeGame(7);
    const exhaustive = await stratifiedShapley(10, dividends.game, { maxEvaluations: 1024, tolerance: 0 });
    expect(exhaustive).toMatchObject({ exhaustive: true, converged: true, estimatedError: 0, evaluations: 1024 });
    expect(Array.from(exhaustive.scores)).toEqual(dividends.shapley.map((value) => expect.closeTo(value, 10)));

    const gloves = await stratifiedShapley(8, glove, { maxEvaluations: 256, tolerance: 0 });
    expect(Array.from(gloves.scores)).toEqual(shapleyBySubsets(8, glove).map((value) => expect.closeTo(value, 10)));
    // The scarce side (3 left gloves against 5 right ones) is worth more: symmetric within each side.
    expect(gloves.scores[0]).toBeGreaterThan(gloves.scores[3] as number);

    const votes = await stratifiedShapley(10, voting, { maxEvaluations: 1024, tolerance: 0 });
    expect(Array.from(votes.scores)).toEqual(shapleyBySubsets(10, voting).map((value) => expect.closeTo(value, 10)));
    expect(votes.scores.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
  });

  it("is exact for n ≤ 3 (every coalition is in the exact strata)", async () => {
    // Glove game with one left glove (0) and two right (1, 2): φ = (2/3, 1/6, 1/6).
    const small: Game = (members) => Math.min(members.includes(0) ? 1 : 0, members.filter((i) => i > 0).length);
    const result = await stratifiedShapley(3, small);
    expect(Array.from(result.scores)).toEqual([2 / 3, 1 / 6, 1 / 6].map((value) => expect.closeTo(value, 12)));
    expect(result).toMatchObject({ exhaustive: true, evaluations: 8 });
    const two = await stratifiedShapley(2, (members) => members.length * 2 + (members.includes(0) ? 1 : 0));
    expect(Array.from(two.scores)).toEqual([expect.closeTo(3, 12), expect.closeTo(2, 12)]);
  });

  it("at half of the coalitions, the paid shares are within L1 0.1 of exact on a round-like game (40 seeds)", async () => {
    const game = roundLikeGame(3);
    const exact = paid(game.shapley);
    const errors: number[] = [];
    for (let seed = 0; seed < 40; seed++) {
      const result = await stratifiedShapley(10, game.game, { seed, maxEvaluations: 512, tolerance: 0 });
      expect(result.evaluations).toBeLessThanOrEqual(512);
      errors.push(l1(paid(result.scores), exact));
    }
    const mean = errors.reduce((a, b) => a + b, 0) / errors.length;
    expect(mean).toBeLessThanOrEqual(0.1);
    expect(errors.filter((error) => error > 0.1).length).toBeLessThanOrEqual(2);
  });

  it("stops once the estimated error of the paid shares is within the tolerance, and that estimate holds", async () => {
    let stoppedEarly = 0;
    let covered = 0;
    const runs = 30;
    for (let seed = 0; seed < runs; seed++) {
      const game = roundLikeGame(100 + seed);
      const result = await stratifiedShapley(10, game.game, { seed, tolerance: 0.05, maxEvaluations: 1024 });
      expect(result.converged).toBe(true);
      expect(result.estimatedError).toBeLessThanOrEqual(0.05);
      if (result.evaluations < 1024) stoppedEarly++;
      if (l1(paid(result.scores), paid(game.shapley)) <= 0.1) covered++;
    }
    expect(stoppedEarly).toBeGreaterThanOrEqual(runs - 1);
    expect(covered).toBeGreaterThanOrEqual(runs - 2);
    const capped = await stratifiedShapley(10, roundLikeGame(5).game, { tolerance: 0, maxEvaluations: 100 });
    expect(capped.converged).toBe(false);
    expect(capped.evaluations).toBeLessThanOrEqual(100);
    expect(capped.estimatedError).toBeGreaterThan(0);
  });

  it("stops on its own beyond the exact regime (n = 16 and 24) within its tolerance of the closed form", async () => {
    for (const n of [16, 24]) {
      const next = random(n);
      const dividends: Array<[number[], number]> = [];
      for (let i = 0; i < n; i++) dividends.push([[i], i % 4 === 0 ? -0.02 : 0.05 + 0.1 * next()]);
      for (let i = 0; i + 1 < n; i += 2) dividends.push([[i, i + 1], (next() - 0.6) * 0.04]);
      dividends.push([[1, 5, 9], 0.05]);
      const game = dividendGame(n, dividends);
      const result = await stratifiedShapley(n, game.game);
      expect(result.converged).toBe(true);
      expect(result.evaluations).toBeLessThanOrEqual(Math.max(1000, 2 * n * (n + 1)));
      expect(result.estimatedError).toBeLessThanOrEqual(0.06);
      expect(l1(paid(result.scores), paid(game.shapley))).toBeLessThanOrEqual(0.1);
    }
  });

  it("truncates the whole round when |v(N) − v(∅)| ≤ ε_b, evaluating only those two coalitions", async () => {
    const calls: string[] = [];
    const game = (members: readonly number[]) => {
      calls.push(members.join(","));
      return members.length === 4 ? 0.5 : 0;
    };
    const result = await stratifiedShapley(4, game, { betweenRoundTruncation: 0.5 });
    expect(Array.from(result.scores)).toEqual([0, 0, 0, 0]);
    expect(result).toMatchObject({ roundTruncated: true, converged: true, evaluations: 2 });
    expect(calls.sort()).toEqual(["", "0,1,2,3"]);
  });

  it("evaluates each distinct coalition once, counts them, is deterministic for a seed, and handles n > 32", async () => {
    const counts = new Map<string, number>();
    const game = roundLikeGame(9).game;
    const result = await stratifiedShapley(
      10,
      (members) => {
        const key = members.join(",");
        counts.set(key, (counts.get(key) ?? 0) + 1);
        return game(members);
      },
      { seed: 4, tolerance: 0, maxEvaluations: 300 },
    );
    expect(Math.max(...counts.values())).toBe(1);
    expect(result.evaluations).toBe(counts.size);
    const again = await stratifiedShapley(10, async (members) => game(members), {
      seed: 4,
      tolerance: 0,
      maxEvaluations: 300,
    });
    expect(Array.from(again.scores)).toEqual(Array.from(result.scores));
    const other = await stratifiedShapley(10, game, { seed: 5, tolerance: 0, maxEvaluations: 300 });
    expect(Array.from(other.scores)).not.toEqual(Array.from(result.scores));

    const n = 70;
    const value = (i: number) => ((i * 37) % 11) / 10 - 0.3;
    const large = await stratifiedShapley(n, (members) => members.reduce((sum, i) => sum + value(i), 0), {
      maxEvaluations: 2 * n + 40,
      tolerance: 0,
    });
    expect(Array.from(large.scores)).toEqual(everyone(n).map((i) => expect.closeTo(value(i), 6)));
  });

  it("scores one update against the starting model and no updates without evaluating", async () => {
    const one = await stratifiedShapley(1, (members) => (members.length === 0 ? 0.25 : 1));
    expect(Array.from(one.scores)).toEqual([0.75]);
    expect(one.evaluations).toBe(2);
    const none = await stratifiedShapley(0, () => {
      throw new Error("must not be called");
    });
    expect(none.scores.length).toBe(0);
  });

  it("rejects options and utilities it cannot honour", async () => {
    const game = roundLikeGame(1).game;
    await expect(stratifiedShapley(10, game, { maxEvaluations: 21 })).rejects.toThrow(AggregationInputError);
    await expect(stratifiedShapley(10, game, { tolerance: -1 })).rejects.toThrow(AggregationInputError);
    await expect(stratifiedShapley(10, game, { seed: 0.5 })).rejects.toThrow(AggregationInputError);
    await expect(stratifiedShapley(10, game, { betweenRoundTruncation: Number.NaN })).rejects.toThrow(
      AggregationInputError,
    );
    await expect(stratifiedShapley(-1, game)).rejects.toThrow(AggregationInputError);
    await expect(
      stratifiedShapley(4, (members) => (members.length === 2 ? Number.NaN : members.length)),
    ).rejects.toThrow(AggregationInputError);
  });
});
