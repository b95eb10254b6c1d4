import { InvalidInputError } from "@tributary/protocol";
import { describe, expect, it } from "vitest";
import { documentedScores, documentedWeights } from "../test-support/documented-score.js";
import { type ScoreInput, scoreProviders, weightsOfQuery } from "./provider-score.js";

/** A small deterministic generator (xorshift), so the cases are the same on every run. */
function* cases(count: number): Generator<ScoreInput[]> {
  let state = 0x9e3779b9;
  const next = () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 2 ** 32;
  };
  for (let c = 0; c < count; c++) {
    const n = 1 + Math.floor(next() * 5);
    yield Array.from({ length: n }, () => ({
      price: BigInt(Math.floor(next() * 5_000)),
      latencyMs: next() < 0.1 ? 0 : next() * 300,
      inFlight: Math.floor(next() * 4),
      reputation: BigInt(Math.floor(next() * 20)),
      slashes: next() < 0.7 ? 0 : 1 + Math.floor(next() * 3),
    }));
  }
}

describe("scoreProviders", () => {
  it("is the documented formula, under every preference", () => {
    for (const prefer of [undefined, "price", "latency", "reputation"] as const) {
      const weights = weightsOfQuery(prefer === undefined ? {} : { prefer });
      expect(weights).toEqual(documentedWeights(prefer));
      for (const inputs of cases(200)) {
        const scores = scoreProviders(inputs, weights);
        const expected = documentedScores(
          inputs.map((input) => ({ ...input, price: Number(input.price), reputation: Number(input.reputation) })),
          documentedWeights(prefer),
        );
        for (const [i, score] of scores.entries()) expect(score).toBeCloseTo(expected[i] as number, 12);
      }
    }
  });

  it("weighs the preferred term four times the others, and takes explicit weights", () => {
    expect(weightsOfQuery({})).toEqual({ price: 1, latency: 1, reputation: 1 });
    expect(weightsOfQuery({ prefer: "latency" })).toEqual({ price: 1, latency: 4, reputation: 1 });
    expect(weightsOfQuery({ weights: "price:2.5,reputation:1" })).toEqual({ price: 2.5, latency: 0, reputation: 1 });
    const cheapSlow = { price: 1_000n, latencyMs: 200, inFlight: 0, reputation: 0n, slashes: 0 };
    const dearFast = { price: 3_000n, latencyMs: 2, inFlight: 0, reputation: 0n, slashes: 0 };
    const [cheap, fast] = scoreProviders([cheapSlow, dearFast], weightsOfQuery({ prefer: "price" }));
    expect(cheap).toBeGreaterThan(fast as number);
    const [cheapL, fastL] = scoreProviders([cheapSlow, dearFast], weightsOfQuery({ prefer: "latency" }));
    expect(fastL).toBeGreaterThan(cheapL as number);
  });

  it("puts a listing that lost disputes below an unblemished one, even when both have no reputation left", () => {
    const same = { price: 1_000n, latencyMs: 20, inFlight: 0, reputation: 0n };
    const [fresh, slashed, twice] = scoreProviders(
      [
        { ...same, slashes: 0 },
        { ...same, slashes: 1 },
        { ...same, slashes: 2 },
      ],
      weightsOfQuery({}),
    );
    // Price and latency terms 1 each; the reputation term 1, ½ and ⅓.
    expect([fresh, slashed, twice]).toEqual([3, 2.5, 2 + 1 / 3]);
  });

  it("refuses a query it cannot read, naming it", () => {
    for (const query of [
      { prefer: "speed" },
      { weights: "price:x" },
      { weights: "colour:1" },
      { weights: "price:0" },
    ]) {
      expect(() => weightsOfQuery(query)).toThrow(InvalidInputError);
    }
    expect(() => weightsOfQuery({ prefer: "price", weights: "price:1" })).toThrow(/give prefer or weights, not both/);
  });
});
