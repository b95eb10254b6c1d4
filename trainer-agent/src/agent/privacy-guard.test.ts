import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { PrivacyBudgetExceededError, RdpAccountant } from "@tributary/privacy";
import type { JobId } from "@tributary/protocol";
import { afterEach, describe, expect, it } from "vitest";
import type { GradientTransform } from "../gradient-transform.js";
import { UnchargedStepError } from "./dp-sgd-transform.js";
import { DatasetPrivacyGuard, PrivacyBudgetBelowSpentError, type RoundHyperParams } from "./privacy-guard.js";

let dir: string | undefined;
afterEach(async () => {
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

const HYPER: RoundHyperParams = {
  localEpochs: 3,
  batchSize: 10,
  learningRate: 0.1,
  proximalMu: 0,
  dp: { mode: "dp-sgd", l2NormClip: 2, noiseMultiplier: 1.3, targetEpsilon: 5, delta: 1e-5 },
};

/** Runs the `charged` steps a round paid for through its DP transform, then checks the next one is refused. */
async function expectStepsThenRefusal(transform: GradientTransform | undefined, charged: number): Promise<void> {
  if (transform === undefined) throw new Error("a DP round has a gradient transform");
  const batch = { gradients: [new Float32Array([3, 4]), new Float32Array([0, 0])], sizes: [5, 5], step: 0 };
  for (let step = 0; step < charged; step++) await transform({ ...batch, step });
  expect(() => transform({ ...batch, step: charged })).toThrow(UnchargedStepError);
}

describe("DatasetPrivacyGuard", () => {
  it("charges the whole round on disk before any step runs, from the hyper-parameters given, and stops an uncharged step", async () => {
    dir = await mkdtemp(path.join(tmpdir(), "tributary-guard-"));
    const guard = await DatasetPrivacyGuard.open(dir, "1", { epsilon: 10, delta: 1e-5, microbatchSize: 5 });
    // N = 95, batch 10, 3 epochs: q = 10/95, steps = 3 · ⌈95/10⌉ = 30, σ = 1.3, C = 2.
    const round = await guard.prepareRound({
      jobId: "1" as JobId,
      round: 0,
      rounds: 1,
      hyperParams: HYPER,
      datasetSize: 95,
    });
    const expected = new RdpAccountant().step(1.3, 10 / 95, 30).getEpsilon(1e-5).epsilon;
    expect(round.charged.epsilonSpent).toBeCloseTo(expected, 12);
    expect(round.accounting).toEqual({ sampleRate: 10 / 95, steps: 30, noiseMultiplier: 1.3, l2NormClip: 2 });
    const onDisk = JSON.parse(await readFile(path.join(dir, "privacy-ledger-1.json"), "utf8"));
    expect(onDisk.datasets["1"].gaussian).toEqual([{ noiseMultiplier: 1.3, sampleRate: 10 / 95, count: 30 }]);
    await expectStepsThenRefusal(round.training.gradientTransform, 30);
  });

  it("charges only the steps maxLocalSteps allows, and stops the step after them", async () => {
    dir = await mkdtemp(path.join(tmpdir(), "tributary-guard-"));
    const guard = await DatasetPrivacyGuard.open(dir, "1", { epsilon: 10, delta: 1e-5, microbatchSize: 5 });
    // N = 95, batch 10, 3 epochs would be 30 steps; capped at 4: q = 10/95, 4 steps.
    const round = await guard.prepareRound({
      jobId: "1" as JobId,
      round: 0,
      rounds: 1,
      hyperParams: { ...HYPER, maxLocalSteps: 4 },
      datasetSize: 95,
    });
    const expected = new RdpAccountant().step(1.3, 10 / 95, 4).getEpsilon(1e-5).epsilon;
    expect(round.charged.epsilonSpent).toBeCloseTo(expected, 12);
    expect(round.accounting).toEqual({ sampleRate: 10 / 95, steps: 4, noiseMultiplier: 1.3, l2NormClip: 2 });
    await expectStepsThenRefusal(round.training.gradientTransform, 4);
  });

  it("enforces the budget it is given at each start, keeping what was spent, and refuses one below it", async () => {
    dir = await mkdtemp(path.join(tmpdir(), "tributary-guard-"));
    const round = (guard: DatasetPrivacyGuard, index: number) =>
      guard.prepareRound({ jobId: "1" as JobId, round: index, rounds: 2, hyperParams: HYPER, datasetSize: 95 });
    // One round is 30 steps of σ = 1.3 at q = 10/95; two rounds compose to 60 such steps (RDP, δ = 1e-5).
    const one = new RdpAccountant().step(1.3, 10 / 95, 30).getEpsilon(1e-5).epsilon;
    const two = new RdpAccountant().step(1.3, 10 / 95, 60).getEpsilon(1e-5).epsilon;
    await round(await DatasetPrivacyGuard.open(dir, "1", { epsilon: 10, delta: 1e-5 }), 0);
    const file = path.join(dir, "privacy-ledger-1.json");
    const afterOne = await readFile(file, "utf8");

    // Restarted with a budget the first round already exceeds: refused, the ledger untouched.
    await expect(DatasetPrivacyGuard.open(dir, "1", { epsilon: one / 2, delta: 1e-5 })).rejects.toThrow(
      PrivacyBudgetBelowSpentError,
    );
    expect(await readFile(file, "utf8")).toBe(afterOne);

    // Restarted with a budget between one round and two: the second round no longer fits, and nothing is charged.
    const smaller = await DatasetPrivacyGuard.open(dir, "1", { epsilon: (one + two) / 2, delta: 1e-5 });
    expect((await DatasetPrivacyGuard.readReport(dir, "1"))?.budget).toEqual({ epsilon: (one + two) / 2, delta: 1e-5 });
    await expect(round(smaller, 1)).rejects.toThrow(PrivacyBudgetExceededError);
    expect(smaller.spent().epsilon).toBeCloseTo(one, 12);

    // Restarted with the larger budget again: the second round is charged on top of the first.
    const larger = await DatasetPrivacyGuard.open(dir, "1", { epsilon: 10, delta: 1e-5 });
    expect((await round(larger, 1)).charged.epsilonSpent).toBeCloseTo(two, 12);
  });
});
