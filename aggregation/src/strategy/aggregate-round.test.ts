import type { StrategySpec } from "@tributary/protocol";
import { describe, expect, it } from "vitest";
import { aggregateRound, type RoundDelta } from "./aggregate-round.js";

function stream(deltas: readonly RoundDelta[]): () => AsyncIterable<RoundDelta> {
  return async function* () {
    yield* deltas;
  };
}

// Dyadic values, so every sum and mean below is exact in float32 and the expected values are closed forms.
const global = Float32Array.of(1, -2, 0.5);
const deltas: RoundDelta[] = [
  { delta: Float32Array.of(0.5, 1, -1), numExamples: 1 },
  { delta: Float32Array.of(-0.25, 3, 2), numExamples: 3 },
  { delta: Float32Array.of(8, -4, 0), numExamples: 4 },
];
// Example-weighted mean: (1·d0 + 3·d1 + 4·d2) / 8 = (31.75, −6, 5) / 8.
const mean = [31.75 / 8, -6 / 8, 5 / 8];

describe("aggregateRound", () => {
  it("FedAvg: the global model plus the example-weighted mean delta", async () => {
    const result = await aggregateRound({ name: "fedavg" }, global, null, stream(deltas));
    expect(Array.from(result.global)).toEqual([1 + (mean[0] as number), -2 + (mean[1] as number), 0.5 + 0.625]);
    expect(result.optimizerState).toBeNull();
    expect(result.selected).toBeNull();
  });

  it("FedAvgM: server momentum from the averaged delta, carried across rounds in the returned state", async () => {
    const strategy: StrategySpec = { name: "fedavgm", serverLr: 0.5, momentum: 0.5 };
    const first = await aggregateRound(strategy, global, null, stream(deltas));
    // m₀ = Δ̄, x₁ = x₀ + η·Δ̄.
    const x1 = Array.from(global, (x, i) => x + 0.5 * (mean[i] as number));
    expect(Array.from(first.global)).toEqual(x1);
    const state = JSON.parse(new TextDecoder().decode(first.optimizerState ?? new Uint8Array()));
    expect(state).toMatchObject({ kind: "fedavgm", version: 1, steps: 1, length: 3, v: null });

    // Second round, one update of Δ = (1, 1, 1): m₁ = β·Δ̄ + Δ, x₂ = x₁ + η·m₁.
    const second = await aggregateRound(
      strategy,
      first.global,
      first.optimizerState,
      stream([{ delta: Float32Array.of(1, 1, 1), numExamples: 2 }]),
    );
    const x2 = x1.map((x, i) => x + 0.5 * (0.5 * (mean[i] as number) + 1));
    expect(Array.from(second.global)).toEqual(x2);
  });

  it("coordinate median: the global model plus the per-coordinate median delta", async () => {
    const result = await aggregateRound({ name: "median" }, global, null, stream(deltas));
    // Medians of (0.5, −0.25, 8), (1, 3, −4), (−1, 2, 0).
    expect(Array.from(result.global)).toEqual([1 + 0.5, -2 + 1, 0.5 + 0]);
    expect(result.optimizerState).toBeNull();
  });

  it("centred clipping: starts from the previous round's aggregate delta, carried in the returned state", async () => {
    // Round 1, from 0, every delta (1, 1, 1): nothing is clipped, the aggregate is (1, 1, 1).
    const same = Array.from({ length: 3 }, () => ({ delta: Float32Array.of(1, 1, 1), numExamples: 1 }));
    const first = await aggregateRound({ name: "centredclip", iterations: 3 }, global, null, stream(same));
    expect(Array.from(first.global)).toEqual([2, -1, 1.5]);
    expect(Array.from(new Float32Array((first.optimizerState as Uint8Array).slice().buffer))).toEqual([1, 1, 1]);
    // Round 2, one delta (0, 0, 3), τ = 1, one iteration from v₀ = (1, 1, 1): x − v₀ = (−1, −1, 2), of norm √6,
    // clipped to norm 1: v = (1, 1, 1) + (−1, −1, 2)/√6.
    const second = await aggregateRound(
      { name: "centredclip", tau: 1, iterations: 1 },
      first.global,
      first.optimizerState,
      stream([{ delta: Float32Array.of(0, 0, 3), numExamples: 5 }]),
    );
    const s6 = Math.sqrt(6);
    const expected = [2 + 1 - 1 / s6, -1 + 1 - 1 / s6, 1.5 + 1 + 2 / s6];
    for (const [i, value] of second.global.entries()) expect(value).toBeCloseTo(expected[i] as number, 6);
  });

  it("FLTrust: trust-weighted, rescaled deltas against the server's update; an update pointing away is not selected", async () => {
    // g₀ = (3, 4, 0), ‖g₀‖ = 5. Deltas: (6, 8, 0) cos 1; (0, 2, 0) cos 0.8; (−3, −4, 0) cos −1 → trust 0.
    const server = Float32Array.of(3, 4, 0);
    const round: RoundDelta[] = [
      { delta: Float32Array.of(6, 8, 0), numExamples: 1 },
      { delta: Float32Array.of(0, 2, 0), numExamples: 9 },
      { delta: Float32Array.of(-3, -4, 0), numExamples: 5 },
    ];
    const result = await aggregateRound({ name: "fltrust", rootDatasetCid: "unused" }, global, null, stream(round), {
      serverUpdate: server,
    });
    // Rescaled to norm 5: (3, 4, 0) and (0, 5, 0); aggregate (1·(3, 4, 0) + 0.8·(0, 5, 0)) / 1.8 = (3, 8, 0) / 1.8.
    const expected = [1 + 3 / 1.8, -2 + 8 / 1.8, 0.5];
    for (const [i, value] of result.global.entries()) expect(value).toBeCloseTo(expected[i] as number, 6);
    expect(result.selected).toEqual([0, 1]);
    expect(result.optimizerState).toBeNull();
    await expect(
      aggregateRound({ name: "fltrust", rootDatasetCid: "unused" }, global, null, stream(round)),
    ).rejects.toThrow(/server's update/);
  });
});
