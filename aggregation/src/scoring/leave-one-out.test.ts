import { describe, expect, it } from "vitest";
import { type Game, leaveOneOutByDefinition } from "../../test-support/exact-shapley.js";
import { AggregationInputError } from "../errors.js";
import { leaveOneOut } from "./leave-one-out.js";

const weights = [0.5, 1.25, -0.75, 2, 0, 3.5];
const additive: Game = (members) => members.reduce((sum, i) => sum + (weights[i] as number), 1);
const concave: Game = (members) => Math.sqrt(members.reduce((sum, i) => sum + Math.abs(weights[i] as number), 0));
/** Non-monotone: coalitions of even size are penalised, so adding a player can hurt. */
const parity: Game = (members) => members.length * 0.3 - (members.length % 2 === 0 ? 0.5 : 0) + (members[0] ?? 0);

describe("leaveOneOut", () => {
  it("gives v(N) − v(N ∖ {i}) for additive, concave and non-monotone utilities", async () => {
    for (const game of [additive, concave, parity]) {
      const result = await leaveOneOut(weights.length, game);
      const expected = leaveOneOutByDefinition(weights.length, game);
      expect(Array.from(result.scores)).toEqual(expected.map((value) => expect.closeTo(value, 12)));
      expect(result.utilityOfAll).toBeCloseTo(game([0, 1, 2, 3, 4, 5]), 12);
    }
    // Additive: leaving i out loses exactly its own value.
    const result = await leaveOneOut(weights.length, additive);
    expect(Array.from(result.scores)).toEqual(weights.map((w) => expect.closeTo(w, 12)));
  });

  it("evaluates each of the n + 1 coalitions once, with ascending members, and reports the cost", async () => {
    const calls: string[] = [];
    const result = await leaveOneOut(4, (members) => {
      expect([...members]).toEqual([...members].sort((a, b) => a - b));
      calls.push(members.join(","));
      return members.length;
    });
    expect(calls.sort()).toEqual(["0,1,2", "0,1,2,3", "0,1,3", "0,2,3", "1,2,3"]);
    expect(result.evaluations).toBe(5);
    expect(Array.from(result.scores)).toEqual([1, 1, 1, 1]);
    expect(result.elapsedMs).toBeGreaterThanOrEqual(0);
  });

  it("awaits an asynchronous utility", async () => {
    const result = await leaveOneOut(3, async (members) => concave(members));
    expect(Array.from(result.scores)).toEqual(leaveOneOutByDefinition(3, concave).map((v) => expect.closeTo(v, 12)));
  });

  it("measures a single update against the starting model and scores no updates without evaluating", async () => {
    const one = await leaveOneOut(1, (members) => (members.length === 0 ? 0.25 : 0.75));
    expect(Array.from(one.scores)).toEqual([0.5]);
    expect(one.evaluations).toBe(2);
    let called = false;
    const none = await leaveOneOut(0, () => {
      called = true;
      return 0;
    });
    expect(none.scores.length).toBe(0);
    expect(none.utilityOfAll).toBeNull();
    expect(called).toBe(false);
  });

  it("rejects a bad count or a utility that is not a finite number", async () => {
    await expect(leaveOneOut(-1, () => 0)).rejects.toThrow(AggregationInputError);
    await expect(leaveOneOut(1.5, () => 0)).rejects.toThrow(AggregationInputError);
    await expect(leaveOneOut(3, (members) => (members.length === 2 ? Number.NaN : 1))).rejects.toThrow(
      AggregationInputError,
    );
    await expect(leaveOneOut(2, async () => Number.POSITIVE_INFINITY)).rejects.toThrow(AggregationInputError);
  });
});
