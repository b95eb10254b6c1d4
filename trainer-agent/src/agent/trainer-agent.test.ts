import { readFile } from "node:fs/promises";
import path from "node:path";
import { initTrainingBackend } from "@tributary/model-runtime";
import { RdpAccountant } from "@tributary/privacy";
import { type JobSpec, type SignedModelUpdate, SOCKET_EVENTS } from "@tributary/protocol";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  CLASSES,
  FEATURES,
  fixtureSpec,
  type OwnerFixture,
  ownerAgainstLyingCoordinator,
} from "../../test-support/owner-fixture.js";

// The real trainer agent against a coordinator that lies (test-support/lying-coordinator.ts): every attack goes
// through the agent's public interface, the socket, and must come back as a refusal with nothing spent or read.

const ANSWERS = [SOCKET_EVENTS.update, SOCKET_EVENTS.refusal, SOCKET_EVENTS.evaluation];
const NONCE = (n: number) => `0x${n.toString(16).padStart(64, "0")}`;
const DP = { mode: "dp-sgd", l2NormClip: 1, noiseMultiplier: 1, targetEpsilon: 50, delta: 1e-5 } as const;

let owner: OwnerFixture | undefined;
beforeAll(async () => {
  await initTrainingBackend({ log: () => {} });
});
afterEach(async () => {
  await owner?.stop();
  owner = undefined;
});

function hyperParamsOf(spec: JobSpec) {
  const { localEpochs, batchSize, maxLocalSteps, learningRate, proximalMu, dp } = spec;
  return { localEpochs, batchSize, maxLocalSteps, learningRate, proximalMu, dp };
}

/** Sends a train instruction for `jobId` round `round` (hyper-parameters: the spec's, changed by `change`). */
async function train(fixture: OwnerFixture, jobId: string, spec: JobSpec, round: number, nonce: number, change = {}) {
  const model = fixture.coordinator.addModel(new Float32Array(FEATURES * CLASSES + CLASSES));
  const answer = fixture.coordinator.next(ANSWERS);
  fixture.coordinator.send(SOCKET_EVENTS.instruction, {
    jobId,
    round,
    ...model,
    hyperParams: { ...hyperParamsOf(spec), ...change },
    deadline: Date.now() + 60_000,
    nonce: NONCE(nonce),
  });
  return answer;
}

/**
 * The model whose every prediction is p = (1/4, 1/2, 1/4) whatever the input: a zero kernel and biases
 * (0, ln 2, 0). It predicts class 1; the loss of a record is ln 2 for label 1 and ln 4 = 2 ln 2 otherwise.
 */
function constantModel(): Float32Array {
  const weights = new Float32Array(FEATURES * CLASSES + CLASSES);
  weights[FEATURES * CLASSES + 1] = Math.LN2;
  return weights;
}

async function evaluate(fixture: OwnerFixture, jobId: string, round: number, nonce: number) {
  const answer = fixture.coordinator.next(ANSWERS);
  fixture.coordinator.send(SOCKET_EVENTS.evaluate, {
    jobId,
    round,
    ...fixture.coordinator.addModel(constantModel()),
    deadline: Date.now() + 60_000,
    nonce: NONCE(nonce),
  });
  return answer;
}

async function ledgerSteps(fixture: OwnerFixture): Promise<unknown[]> {
  const ledger = JSON.parse(await readFile(path.join(fixture.stateDir, "privacy-ledger-1.json"), "utf8")) as {
    datasets: Record<string, { gaussian: unknown[] }>;
  };
  return ledger.datasets["1"]?.gaussian ?? [];
}

describe("a coordinator that sends malformed messages", () => {
  it("cannot crash the agent: each is reported and dropped, and the next valid instruction is answered", async () => {
    owner = await ownerAgainstLyingCoordinator({ records: 64 });
    const spec = fixtureSpec({ batchSize: 8, dp: DP });
    owner.coordinator.jobs.set("7", spec);
    owner.coordinator.send(SOCKET_EVENTS.instruction, { jobId: "7", round: 0, modelCid: "not a CID" });
    owner.coordinator.send(SOCKET_EVENTS.evaluate, { jobId: 7 });
    owner.coordinator.send(SOCKET_EVENTS.jobClosed, "garbage");
    const answer = await train(owner, "7", spec, 0, 1);
    expect(answer.event).toBe(SOCKET_EVENTS.update);
    const errors = owner.events.filter((event) => event.type === "error").map((event) => event.message);
    expect(errors).toEqual([
      expect.stringMatching(/^invalid instruction: instruction\.modelCid/),
      expect.stringMatching(/^invalid evaluate: evaluate\.jobId/),
      expect.stringMatching(/^invalid job:closed/),
    ]);
  });
});

describe("a job with a cosine learning-rate schedule", () => {
  it("trains round 3 of 5 at lr·(f + (1 − f)·½(1 + cos(3π/4))) and refuses an instruction that keeps the base rate", async () => {
    owner = await ownerAgainstLyingCoordinator({ records: 64 });
    const spec = fixtureSpec({
      rounds: 5,
      learningRate: 0.1,
      learningRateSchedule: { kind: "cosine", finalFraction: 0.2 },
      dp: DP,
    });
    owner.coordinator.jobs.set("9", spec);
    const refused = await train(owner, "9", spec, 3, 1);
    expect(refused.event).toBe(SOCKET_EVENTS.refusal);
    expect(refused.args[0]).toMatchObject({ round: 3, code: "HYPERPARAMS_MISMATCH" });
    expect((refused.args[0] as { message: string }).message).toMatch(/learningRate differ/);
    // The closed form written out here (r/(R − 1) = 3/4); the trainer compares it to its own recomputation exactly.
    const rate = 0.1 * (0.2 + 0.8 * 0.5 * (1 + Math.cos(Math.PI * 0.75)));
    expect(rate).toBeCloseTo(0.1 * (0.2 + 0.4 * (1 - Math.SQRT1_2)), 12);
    const trained = await train(owner, "9", spec, 3, 2, { learningRate: rate });
    expect(trained.event).toBe(SOCKET_EVENTS.update);
  });
});

describe("item 3: the trainer decides its own privacy", () => {
  it("refuses an instruction whose batch size is not the spec's (spec 8, instruction = the whole dataset): nothing charged, no record read", async () => {
    owner = await ownerAgainstLyingCoordinator({ records: 64 });
    const spec = fixtureSpec({ batchSize: 8, dp: DP });
    owner.coordinator.jobs.set("7", spec);
    const answer = await train(owner, "7", spec, 0, 1, { batchSize: 64 });
    expect(answer.event).toBe(SOCKET_EVENTS.refusal);
    expect(answer.args[0]).toMatchObject({ jobId: "7", round: 0, code: "HYPERPARAMS_MISMATCH" });
    expect((answer.args[0] as { message: string }).message).toMatch(/batchSize differ/);
    expect(owner.privacy.spent().epsilon).toBe(0);
    expect(await ledgerSteps(owner)).toEqual([]);
    expect(owner.trainReads()).toBe(0);
    expect(owner.evalReads()).toBe(0);
    // Off-chain, the operator is told that jobs' payment terms are not checked.
    expect(owner.events).toContainEqual({ type: "notice", message: expect.stringMatching(/^no chain configured/) });
  });

  it("charges a spec that itself asks for batch = the whole dataset at its real cost, and refuses it when the budget cannot pay", async () => {
    owner = await ownerAgainstLyingCoordinator({ records: 64, budgetEpsilon: 10 });
    // q = 1, 20 steps of σ = 0.6: far above ε = 10 (the accountant, called directly, says so).
    const spec = fixtureSpec({ batchSize: 64, localEpochs: 20, dp: { ...DP, noiseMultiplier: 0.6 } });
    expect(new RdpAccountant().step(0.6, 1, 20).getEpsilon(1e-5).epsilon).toBeGreaterThan(10);
    owner.coordinator.jobs.set("8", spec);
    const answer = await train(owner, "8", spec, 0, 2);
    expect(answer.event).toBe(SOCKET_EVENTS.refusal);
    expect(answer.args[0]).toMatchObject({ code: "PRIVACY_BUDGET_EXCEEDED" });
    expect(owner.privacy.spent().epsilon).toBe(0);
    expect(await ledgerSteps(owner)).toEqual([]);
    expect(owner.trainReads()).toBe(0);
  });

  it("charges an honest round exactly the ε of its real q, steps and σ, the accountant called directly", async () => {
    owner = await ownerAgainstLyingCoordinator({ records: 64, budgetEpsilon: 10 });
    // N = 64, batch 16, 2 local epochs: q = 16/64 = 0.25, steps = 2 · ⌈64/16⌉ = 8, σ = 1.
    const spec = fixtureSpec({ batchSize: 16, localEpochs: 2, dp: DP });
    owner.coordinator.jobs.set("9", spec);
    const answer = await train(owner, "9", spec, 0, 3);
    expect(answer.event).toBe(SOCKET_EVENTS.update);
    const header = answer.args[0] as SignedModelUpdate;
    const expected = new RdpAccountant().step(1, 0.25, 8).getEpsilon(1e-5).epsilon;
    expect(header.epsilonSpent).toBeCloseTo(expected, 12);
    expect(owner.privacy.spent().epsilon).toBeCloseTo(expected, 12);
    expect(await ledgerSteps(owner)).toEqual([{ noiseMultiplier: 1, sampleRate: 0.25, count: 8 }]);
    // The update's metrics: training loss and accuracy only, at 4 decimal places.
    expect(Object.keys(header.metrics).sort()).toEqual(["accuracy", "loss"]);
    for (const value of Object.values(header.metrics))
      expect(Math.abs(value * 1e4 - Math.round(value * 1e4))).toBeLessThan(1e-6);
  });
});

describe("a job that caps the local steps (maxLocalSteps)", () => {
  it("refuses an instruction without the spec's cap, then trains and charges only the capped steps", async () => {
    owner = await ownerAgainstLyingCoordinator({ records: 64, budgetEpsilon: 10 });
    // N = 64, batch 16, 2 local epochs would be 8 steps; capped at 3: q = 0.25, 3 steps, 48 distinct records.
    const spec = fixtureSpec({ batchSize: 16, localEpochs: 2, maxLocalSteps: 3, dp: DP });
    owner.coordinator.jobs.set("9", spec);
    const refused = await train(owner, "9", spec, 0, 1, { maxLocalSteps: undefined });
    expect(refused.event).toBe(SOCKET_EVENTS.refusal);
    expect((refused.args[0] as { message: string }).message).toMatch(/maxLocalSteps differ/);
    expect(owner.privacy.spent().epsilon).toBe(0);
    const answer = await train(owner, "9", spec, 0, 2);
    expect(answer.event).toBe(SOCKET_EVENTS.update);
    const header = answer.args[0] as SignedModelUpdate;
    expect(header.numExamples).toBe(48);
    const expected = new RdpAccountant().step(1, 0.25, 3).getEpsilon(1e-5).epsilon;
    expect(header.epsilonSpent).toBeCloseTo(expected, 12);
    expect(await ledgerSteps(owner)).toEqual([{ noiseMultiplier: 1, sampleRate: 0.25, count: 3 }]);
  });
});

describe("item 4: evaluations and metrics only as the owner allows", () => {
  // Held-out labels: 4 of 10 are class 1. The constant model's loss is (4 ln 2 + 6 · 2 ln 2)/10 = 1.6 ln 2 =
  // 1.109035…, its accuracy 0.4.
  const evalLabels = [1, 0, 1, 2, 1, 0, 2, 1, 0, 2];

  it("answers the job's rounds' worth of evaluations, rounded to 4 places, and refuses the next", async () => {
    owner = await ownerAgainstLyingCoordinator({ evalLabels });
    owner.coordinator.jobs.set("3", fixtureSpec({ rounds: 2 }));
    for (const nonce of [1, 2]) {
      const answer = await evaluate(owner, "3", 2, nonce);
      expect(answer.event).toBe(SOCKET_EVENTS.evaluation);
      expect(answer.args[0]).toMatchObject({ numExamples: 10, metrics: { evalLoss: 1.109, evalAccuracy: 0.4 } });
    }
    const third = await evaluate(owner, "3", 2, 3);
    expect(third.event).toBe(SOCKET_EVENTS.refusal);
    expect(third.args[0]).toMatchObject({ code: "EVALUATION_ALLOWANCE_EXHAUSTED" });
    expect((third.args[0] as { message: string }).message).toMatch(/used its 2 evaluation/);
  });

  it("rounds to the owner's precision (2 places: 1.11 and 0.4) and withholds everything at precision 0", async () => {
    owner = await ownerAgainstLyingCoordinator({ evalLabels, disclosure: { metricPrecision: 2 } });
    owner.coordinator.jobs.set("3", fixtureSpec());
    const rounded = await evaluate(owner, "3", 2, 1);
    expect((rounded.args[0] as { metrics: unknown }).metrics).toEqual({ evalLoss: 1.11, evalAccuracy: 0.4 });
    await owner.stop();

    owner = await ownerAgainstLyingCoordinator({ evalLabels, disclosure: { metricPrecision: 0 } });
    owner.coordinator.jobs.set("3", fixtureSpec());
    const withheld = await evaluate(owner, "3", 2, 1);
    expect(withheld.event).toBe(SOCKET_EVENTS.evaluation);
    expect((withheld.args[0] as { metrics: unknown }).metrics).toEqual({});
    expect(owner.evalReads()).toBe(0);
  });

  it("refuses evaluations once the budget could not pay for the job's training", async () => {
    owner = await ownerAgainstLyingCoordinator({ evalLabels, budgetEpsilon: 0.01 });
    const spec = fixtureSpec({ batchSize: 16, dp: DP });
    owner.coordinator.jobs.set("4", spec);
    expect((await train(owner, "4", spec, 0, 1)).args[0]).toMatchObject({ code: "PRIVACY_BUDGET_EXCEEDED" });
    const answer = await evaluate(owner, "4", 2, 2);
    expect(answer.event).toBe(SOCKET_EVENTS.refusal);
    expect(answer.args[0]).toMatchObject({ code: "PRIVACY_BUDGET_SPENT" });
    expect(owner.evalReads()).toBe(0);
  });

  it("sends updates without metrics when the owner allows none", async () => {
    owner = await ownerAgainstLyingCoordinator({ allowNonPrivate: true, disclosure: { updateMetrics: [] } });
    const spec = fixtureSpec();
    owner.coordinator.jobs.set("5", spec);
    const answer = await train(owner, "5", spec, 0, 1);
    expect(answer.event).toBe(SOCKET_EVENTS.update);
    expect((answer.args[0] as SignedModelUpdate).metrics).toEqual({});
  });
});
