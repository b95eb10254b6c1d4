import { describe, expect, it } from "vitest";
import { random, randomVectors } from "../../test-support/random.js";
import { AggregationInputError, InvalidUpdateError } from "../errors.js";
import { centredClipping } from "./centred-clipping.js";

/** A second, straightforward implementation in float64 over plain arrays (independent of the kernel's loops). */
function reference(xs: number[][], tau: number | undefined, iterations: number, centre: number[] | null): number[] {
  const n = xs.length;
  const length = (xs[0] as number[]).length;
  let v = centre === null ? new Array<number>(length).fill(0) : [...centre];
  const norm = (z: number[]) => Math.sqrt(z.reduce((sum, value) => sum + value * value, 0));
  for (let l = 0; l < iterations; l++) {
    const diffs = xs.map((x) => x.map((value, j) => value - (v[j] as number)));
    const norms = diffs.map(norm);
    const sorted = [...norms].sort((a, b) => a - b);
    const at = (i: number) => sorted[i] as number;
    const median = n % 2 ? at((n - 1) / 2) : (at(n / 2 - 1) + at(n / 2)) / 2;
    const radius = tau ?? median;
    const clipped = diffs.map((z, i) => z.map((value) => value * Math.min(1, radius / ((norms[i] as number) || 1))));
    v = v.map((value, j) => value + clipped.reduce((sum, z) => sum + (z[j] as number), 0) / n);
  }
  return v;
}

const toArray = (x: Float32Array) => Array.from(x);
const distance = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let sum = 0;
  for (let j = 0; j < a.length; j++) sum += ((a[j] as number) - (b[j] as number)) ** 2;
  return Math.sqrt(sum);
};

describe("centredClipping, closed forms", () => {
  it("returns the update itself when every update is the same (any start, adaptive or fixed τ)", () => {
    const x = Float32Array.from([0.5, -1.25, 3, 0.125]);
    const same = Array.from({ length: 7 }, () => Float32Array.from(x));
    // Adaptive τ = the common distance: nothing is clipped and one iteration lands on x.
    expect(toArray(centredClipping(same, { centre: new Float32Array(4) }))).toEqual(toArray(x));
    // Fixed τ larger than ‖x‖ = 3.28…: the same.
    expect(toArray(centredClipping(same, { tau: 4, iterations: 1 }))).toEqual(toArray(x));
  });

  it("bounds one outlier at any distance D: τ/n after one iteration, τ/n·Σ_{l<L} n^−l after L (< τ/(n−1))", () => {
    // n − 1 honest updates at 0, one at D·e₁, start 0, τ = 1, n = 10. Iteration 1: only the outlier is clipped, to
    // τ: v₁ = τ/n. Then honest differences −v are within τ (unclipped), the outlier's is clipped to τ:
    // v_{l+1} = v_l + (τ − (n−1)·v_l)/n = v_l/n + τ/n, so v_L = (τ/n)(1 + 1/n + … + 1/n^{L−1}).
    const n = 10;
    const tau = 1;
    for (const D of [10, 1e3, 1e30]) {
      const updates = Array.from({ length: n }, () => new Float32Array(3));
      updates[n - 1] = Float32Array.from([D, 0, 0]);
      const one = centredClipping(updates, { tau, iterations: 1 });
      expect(one[0]).toBeCloseTo(tau / n, 7);
      const three = centredClipping(updates, { tau, iterations: 3 });
      expect(three[0]).toBeCloseTo((tau / n) * (1 + 1 / n + 1 / n ** 2), 7);
      expect(three[0]).toBeLessThan(tau / (n - 1));
      expect([three[1], three[2]]).toEqual([0, 0]);
    }
  });
});

describe("centredClipping against a float64 reference", () => {
  it("agrees on random inputs, adaptive and fixed τ, with and without a centre", () => {
    for (const [seed, n, length] of [
      [1, 5, 17],
      [2, 10, 64],
      [3, 12, 3],
      [4, 4, 200],
    ] as const) {
      const vectors = randomVectors(seed, n, length);
      const centre = randomVectors(seed + 100, 1, length)[0] as Float32Array;
      for (const tau of [undefined, 0.5, 3]) {
        for (const start of [null, centre]) {
          for (const iterations of [1, 3, 5]) {
            const out = centredClipping(vectors, { tau, iterations, centre: start });
            const expected = reference(vectors.map(toArray), tau, iterations, start && toArray(start));
            for (const [j, value] of out.entries()) expect(value).toBeCloseTo(expected[j] as number, 5);
          }
        }
      }
    }
  });
});

describe("centredClipping under attack with non-IID honest updates", () => {
  // n = 10, k = 2 Byzantine. Honest update i = g + h_i: a shared direction g plus a client-specific drift h_i as
  // large as g (label skew makes honest updates disagree), so honest updates are far apart. The start v₀ is the
  // previous round's aggregate: the honest mean μ plus a drift δ, e₀ = ‖δ‖. Let r = max_i ‖x_i − μ‖,
  // E = max(e₀, k·r/(n − 2k)) and τ = r + E. While the error e = ‖v − μ‖ ≤ E, every honest difference
  // ‖x_i − v‖ ≤ r + E = τ is not clipped, so Σ_H clip(x_i − v) = (n − k)(μ − v) and
  //   v' − μ = (k/n)(v − μ) + (1/n) Σ_B clip_τ(·)  ⇒  e' ≤ (k/n)·e + k·τ/n ≤ (k/n)E + k(r + E)/n ≤ E
  // (the last step is E ≥ k·r/(n − 2k)). By induction, e_L ≤ (k/n)^L e₀ + k·τ/(n − k), whatever the Byzantine
  // updates are.
  const n = 10;
  const k = 2;
  const length = 500;
  const next = random(2021);
  const gaussian = () => Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next());
  const g = Float64Array.from({ length }, () => gaussian() * 0.1);
  const honest = Array.from({ length: n - k }, () => Float32Array.from(g, (value) => value + gaussian() * 0.1));
  const mu = new Float64Array(length);
  for (const x of honest) for (let j = 0; j < length; j++) mu[j] = (mu[j] as number) + (x[j] as number) / (n - k);
  const muNorm = distance(mu, new Float64Array(length));
  const r = Math.max(...honest.map((x) => distance(x, mu)));
  const centre = Float32Array.from(mu, (value) => value + gaussian() * 0.05);
  const e0 = distance(centre, mu);
  const tau = r + Math.max(e0, (k * r) / (n - 2 * k));
  const iterations = 3;
  const bound = (k / n) ** iterations * e0 + (k * tau) / (n - k);

  const attacks: Record<string, (x: Float32Array) => Float32Array> = {
    "sign-flipped ×4": (x) => x.map((value) => -4 * value),
    "large norm ×1000": (x) => x.map((value) => 1000 * value),
  };
  for (const [name, attack] of Object.entries(attacks)) {
    it(`${name}: stays within the derived bound of the honest mean, the plain mean does not`, () => {
      const updates = [...honest, ...honest.slice(0, k).map(attack)];
      const plain = new Float64Array(length);
      for (const x of updates) for (let j = 0; j < length; j++) plain[j] = (plain[j] as number) + (x[j] as number) / n;
      const fixed = centredClipping(updates, { tau, iterations, centre });
      const adaptive = centredClipping(updates, { iterations, centre });
      expect(distance(fixed, mu)).toBeLessThanOrEqual(bound);
      expect(distance(adaptive, mu)).toBeLessThanOrEqual(bound);
      expect(distance(plain, mu)).toBeGreaterThan(2 * bound);
      // The bound itself is meaningful: well below the honest mean's own norm.
      expect(bound).toBeLessThan(muNorm);
    });
  }
});

describe("centredClipping input checks", () => {
  it("refuses non-finite updates, a bad τ, iterations or centre", () => {
    const ok = [new Float32Array(2), new Float32Array(2)];
    expect(() => centredClipping([Float32Array.from([Number.NaN, 0]), new Float32Array(2)])).toThrow(
      InvalidUpdateError,
    );
    expect(() => centredClipping(ok, { tau: 0 })).toThrow(AggregationInputError);
    expect(() => centredClipping(ok, { iterations: 0 })).toThrow(AggregationInputError);
    expect(() => centredClipping(ok, { centre: new Float32Array(3) })).toThrow(AggregationInputError);
  });
});
