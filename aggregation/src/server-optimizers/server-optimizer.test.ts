import { describe, expect, it } from "vitest";
import { random } from "../../test-support/random.js";
import { FedAdagrad } from "./fed-adagrad.js";
import { FedAdam } from "./fed-adam.js";
import { FedAvgM } from "./fed-avg-m.js";
import { FedYogi } from "./fed-yogi.js";
import type { ServerOptimizer } from "./server-optimizer.js";

/**
 * Float64 references of the published server updates, written out from the papers (not from this package):
 * Reddi et al. 2021, "Adaptive Federated Optimization", Algorithm 2 (FedAdagrad, FedAdam, FedYogi; no bias
 * correction, m₋₁ = 0, v₋₁ given), and FedAvg with server momentum (Hsu et al. 2019: m ← β·m + Δ,
 * x ← x + η·m). Δ is the round's averaged client delta. The reference model x stays in float64 throughout.
 */
interface Reference {
  step(delta: Float32Array): void;
  readonly x: Float64Array;
}

function momentumReference(x0: Float32Array, eta: number, beta: number): Reference {
  const x = Float64Array.from(x0);
  const m = new Float64Array(x0.length);
  return {
    x,
    step(delta) {
      for (let i = 0; i < x.length; i++) {
        m[i] = beta * (m[i] as number) + (delta[i] as number);
        x[i] = (x[i] as number) + eta * (m[i] as number);
      }
    },
  };
}

type SecondMoment = "adagrad" | "adam" | "yogi";

function adaptiveReference(
  x0: Float32Array,
  rule: SecondMoment,
  o: { eta: number; beta1: number; beta2: number; tau: number; v0: number },
): Reference {
  const x = Float64Array.from(x0);
  const m = new Float64Array(x0.length);
  const v = new Float64Array(x0.length).fill(o.v0);
  return {
    x,
    step(delta) {
      for (let i = 0; i < x.length; i++) {
        const d = delta[i] as number;
        const d2 = d * d;
        m[i] = o.beta1 * (m[i] as number) + (1 - o.beta1) * d;
        const vi = v[i] as number;
        if (rule === "adagrad") v[i] = vi + d2;
        else if (rule === "adam") v[i] = o.beta2 * vi + (1 - o.beta2) * d2;
        else v[i] = vi - (1 - o.beta2) * d2 * Math.sign(vi - d2);
        x[i] = (x[i] as number) + (o.eta * (m[i] as number)) / (Math.sqrt(v[i] as number) + o.tau);
      }
    },
  };
}

const LENGTH = 1000;
const ROUNDS = 25;

/**
 * A model of weights around ±50 (so that global + Δ in float32 would lose most of a small Δ's bits) and
 * deltas whose scale changes by round (1e-4 to 1), so Yogi's sign(v − Δ²) takes both values.
 */
function scenario(seed: number): { x0: Float32Array; deltas: Float32Array[] } {
  const next = random(seed);
  const x0 = Float32Array.from({ length: LENGTH }, () => (next() - 0.5) * 100);
  const deltas = Array.from({ length: ROUNDS }, (_, round) => {
    const scale = 10 ** -((round * 7) % 5);
    return Float32Array.from({ length: LENGTH }, () => (next() - 0.5) * 2 * scale);
  });
  return { x0, deltas };
}

const cases: [string, () => ServerOptimizer, (x0: Float32Array) => Reference][] = [
  ["FedAvgM", () => new FedAvgM({ serverLr: 0.7, momentum: 0.9 }), (x0) => momentumReference(x0, 0.7, 0.9)],
  [
    "FedAdagrad",
    () => new FedAdagrad({ serverLr: 0.1, beta1: 0.5, tau: 1e-3 }),
    (x0) => adaptiveReference(x0, "adagrad", { eta: 0.1, beta1: 0.5, beta2: 0, tau: 1e-3, v0: 1e-6 }),
  ],
  [
    "FedAdam",
    () => new FedAdam({ serverLr: 0.05, beta1: 0.9, beta2: 0.99, tau: 1e-4, initialAccumulator: 0.25 }),
    (x0) => adaptiveReference(x0, "adam", { eta: 0.05, beta1: 0.9, beta2: 0.99, tau: 1e-4, v0: 0.25 }),
  ],
  [
    "FedYogi",
    () => new FedYogi({ serverLr: 0.02, beta1: 0.8, beta2: 0.9, tau: 1e-3 }),
    (x0) => adaptiveReference(x0, "yogi", { eta: 0.02, beta1: 0.8, beta2: 0.9, tau: 1e-3, v0: 1e-6 }),
  ],
];

describe("ServerOptimizer.stepDelta against float64 references", () => {
  it.each(cases)("%s follows the published update for 25 rounds, within float32 rounding", (_, make, ref) => {
    const { x0, deltas } = scenario(17);
    const optimizer = make();
    const reference = ref(x0);
    let global = x0;
    let largest = 0;
    deltas.forEach((delta, round) => {
      global = optimizer.stepDelta(global, delta);
      reference.step(delta);
      // The optimiser rounds its model to float32 once per round (half an ulp, 2^-24 relative); the rounding
      // errors of the rounds so far add up, and nothing else may differ.
      for (const value of reference.x) largest = Math.max(largest, Math.abs(value));
      const tolerance = (round + 1) * 2 ** -24 * largest;
      for (let i = 0; i < LENGTH; i++) {
        const error = Math.abs((global[i] as number) - (reference.x[i] as number));
        if (error > tolerance) {
          expect.fail(`round ${round}, index ${i}: ${global[i]} vs ${reference.x[i]} (tolerance ${tolerance})`);
        }
      }
    });
    expect(optimizer.steps).toBe(ROUNDS);
  });
});
