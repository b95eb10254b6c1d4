import { createValidationEvaluator } from "@tributary/model-runtime";
import { decodeValidationSet, encodeValidationSet, type ModelSpecInput, SCORE_SCALE } from "@tributary/protocol";
import { describe, expect, it } from "vitest";
import { scoreRound } from "./score-round.js";

interface Update {
  readonly delta: Float32Array;
  readonly numExamples: number;
}

/** A softmax regression: 3 features → 3 classes; flat layout = kernel [3, 3] row-major, then bias [3]. */
const SPEC: ModelSpecInput = {
  inputShape: [3],
  layers: [{ type: "dense", units: 3, activation: "softmax" }],
  loss: "sparseCategoricalCrossentropy",
};
const PARAMS = 12;
const COUNT = 30;
const FEATURES = Float32Array.from({ length: COUNT * 3 }, (_, k) => Math.sin(k * 1.7 + 0.3));
/** Labels from a fixed "true" model, so moving towards it lowers the loss. */
const TRUE_WEIGHTS = Float32Array.from({ length: PARAMS }, (_, i) => Math.cos(i * 2.1) * 2);
const LABELS = Int32Array.from({ length: COUNT }, (_, n) => argmax(logits(TRUE_WEIGHTS, n)));
const SET = decodeValidationSet(encodeValidationSet({ featureShape: [3], features: FEATURES, labels: LABELS }));

function logits(weights: ArrayLike<number>, n: number): number[] {
  return [0, 1, 2].map(
    (j) =>
      (weights[9 + j] as number) +
      [0, 1, 2].reduce((sum, i) => sum + (FEATURES[n * 3 + i] as number) * (weights[i * 3 + j] as number), 0),
  );
}

function argmax(values: number[]): number {
  return values.indexOf(Math.max(...values));
}

/** Mean cross-entropy in float64: the independent reference of the evaluator the coordinator uses. */
function referenceLoss(weights: ArrayLike<number>): number {
  let total = 0;
  for (let n = 0; n < COUNT; n++) {
    const z = logits(weights, n);
    const top = Math.max(...z);
    const logSum = Math.log(z.reduce((sum, value) => sum + Math.exp(value - top), 0)) + top;
    total += logSum - (z[LABELS[n] as number] as number);
  }
  return total / COUNT;
}

const GLOBAL = Float32Array.from({ length: PARAMS }, (_, i) => Math.sin(i * 0.9) * 0.3);
const towardsTruth = (fraction: number) =>
  Float32Array.from(GLOBAL, (value, i) => ((TRUE_WEIGHTS[i] as number) - value) * fraction);
/** Two helpful updates of different strength, one harmful, one that the rule rejected. */
const UPDATES: Update[] = [
  { delta: towardsTruth(0.5), numExamples: 200 },
  { delta: towardsTruth(0.15), numExamples: 100 },
  { delta: towardsTruth(-0.6), numExamples: 100 },
  { delta: towardsTruth(0.9), numExamples: 50 },
];
const REJECTED = new Set([3]);

/** −loss of global + FedAvg over `members`, in float64. */
function utility(members: readonly number[]): number {
  if (members.length === 0) return -referenceLoss(GLOBAL);
  const total = members.reduce((sum, k) => sum + (UPDATES[k] as Update).numExamples, 0);
  const model = Array.from(GLOBAL, (value, i) => {
    let step = 0;
    for (const k of members) step += ((UPDATES[k] as Update).delta[i] as number) * (UPDATES[k] as Update).numExamples;
    return value + step / total;
  });
  return -referenceLoss(model);
}

function shares(raw: number[]): number[] {
  const clipped = raw.map((value) => Math.max(0, value));
  const sum = clipped.reduce((a, b) => a + b, 0);
  return clipped.map((value) => value / sum);
}

function asShares(scores: readonly bigint[]): number[] {
  return scores.map((score) => Number(score) / Number(SCORE_SCALE));
}

async function validationLoss() {
  const evaluator = await createValidationEvaluator(SPEC, SET);
  return async (weights: Float32Array) => (await evaluator.evaluate(weights)).loss;
}

describe("scoreRound", () => {
  it("leave-one-out: each accepted update's share is the validation loss it removed, clipped at 0, as a float64 reference computes it", async () => {
    const { scores, scoring } = await scoreRound({
      scoring: { method: "leave-one-out", validationSetCid: "unused" },
      global: GLOBAL,
      numExamples: UPDATES.map((update) => update.numExamples),
      deltas: UPDATES.map((update) => update.delta),
      rejected: REJECTED,
      validationLoss: await validationLoss(),
    });
    const accepted = [0, 1, 2];
    const all = utility(accepted);
    const expected = shares(accepted.map((k) => all - utility(accepted.filter((other) => other !== k))));
    expect(expected[2]).toBe(0); // the harmful update
    const actual = asShares(scores);
    for (const k of accepted) expect(Math.abs((actual[k] as number) - (expected[k] as number))).toBeLessThan(1e-4);
    expect(scores[3]).toBe(0n);
    expect(scores.reduce((a, b) => a + b, 0n)).toBe(SCORE_SCALE);
    expect(scoring).toMatchObject({ method: "leave-one-out", evaluations: 4 });
  });

  it("GTG-Shapley: shares are the exact Shapley values of the accepted updates (with two, every block walks both orders)", async () => {
    const rejected = new Set([2, 3]);
    const { scores, scoring } = await scoreRound({
      scoring: { method: "gtg-shapley", validationSetCid: "unused", withinRoundTruncation: 0 },
      global: GLOBAL,
      numExamples: UPDATES.map((update) => update.numExamples),
      deltas: UPDATES.map((update) => update.delta),
      rejected,
      validationLoss: await validationLoss(),
    });
    // Brute force: φ_k = ½ [v({k}) − v(∅)] + ½ [v({0, 1}) − v({other})].
    const both = utility([0, 1]);
    const none = utility([]);
    const shapley = [0, 1].map((k) => 0.5 * (utility([k]) - none) + 0.5 * (both - utility([1 - k])));
    const expected = shares(shapley);
    const actual = asShares(scores);
    expect(expected[1]).toBeGreaterThan(0.05);
    for (const k of [0, 1]) expect(Math.abs((actual[k] as number) - (expected[k] as number))).toBeLessThan(1e-4);
    expect(scores.slice(2)).toEqual([0n, 0n]);
    expect(scores.reduce((a, b) => a + b, 0n)).toBe(SCORE_SCALE);
    expect(scoring).toMatchObject({ method: "gtg-shapley", evaluations: 4 });
  });

  it("examples: shares are the accepted updates' shares of the examples, exactly, with no evaluation", async () => {
    const { scores, scoring } = await scoreRound({
      scoring: { method: "examples" },
      global: GLOBAL,
      numExamples: UPDATES.map((update) => update.numExamples),
      deltas: UPDATES.map((update) => update.delta),
      rejected: REJECTED,
    });
    // 200 : 100 : 100 of 400 accepted examples.
    expect(scores).toEqual([SCORE_SCALE / 2n, SCORE_SCALE / 4n, SCORE_SCALE / 4n, 0n]);
    expect(scoring).toMatchObject({ method: "examples", evaluations: 0 });
  });
});
