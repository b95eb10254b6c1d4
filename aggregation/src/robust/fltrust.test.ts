import { describe, expect, it } from "vitest";
import { AggregationInputError } from "../errors.js";
import { flTrust } from "./fltrust.js";

const f32 = (...values: number[]) => Float32Array.from(values);

describe("flTrust", () => {
  it("matches the closed form on a 2-D example: rescaled to ‖g₀‖, weighted by ReLU(cos)", () => {
    // g₀ = (3, 4), ‖g₀‖ = 5. g₁ = (1, 0): cos = 3/5, rescaled (5, 0). g₂ = (0, 2): cos = 4/5, rescaled (0, 5).
    // g₃ = (−3, −4): cos = −1, trust 0. Aggregate = (3/5·(5, 0) + 4/5·(0, 5)) / (7/5) = (15/7, 20/7).
    const { aggregate, trust } = flTrust([f32(1, 0), f32(0, 2), f32(-3, -4)], f32(3, 4));
    expect([...trust]).toEqual([expect.closeTo(0.6, 12), expect.closeTo(0.8, 12), 0]);
    expect(aggregate[0]).toBeCloseTo(15 / 7, 6);
    expect(aggregate[1]).toBeCloseTo(20 / 7, 6);
  });

  it("gives a scaled update no more pull than the honest one it scales, and a sign-flipped one none", () => {
    const honest = [f32(1, 1, 0), f32(1, 0.5, 0.5)];
    const server = f32(1, 1, 0.2);
    const clean = flTrust(honest, server).aggregate;
    const scaled = flTrust([...honest, f32(100, 50, 50)], server).aggregate;
    const flipped = flTrust([...honest, f32(-1, -1, 0), f32(-1, -0.5, -0.5)], server).aggregate;
    // ×100 of honest update 2 counts as a second copy of it: the mean of (ĝ₁, ĝ₂, ĝ₂) weighted by trust.
    const twice = flTrust([...honest, f32(1, 0.5, 0.5)], server).aggregate;
    for (let j = 0; j < 3; j++) {
      expect(scaled[j]).toBeCloseTo(twice[j] as number, 5);
      expect(flipped[j]).toBeCloseTo(clean[j] as number, 6);
    }
  });

  it("returns zeros when nothing points within 90° of the server update, and refuses a zero server update", () => {
    const { aggregate, trust } = flTrust([f32(-1, 0), f32(0, -1)], f32(1, 1));
    expect([...aggregate]).toEqual([0, 0]);
    expect([...trust]).toEqual([0, 0]);
    expect(() => flTrust([f32(1, 0)], f32(0, 0))).toThrow(AggregationInputError);
    expect(() => flTrust([f32(1, 0)], f32(1, 0, 0))).toThrow(/server update must be 2 finite/);
  });
});
