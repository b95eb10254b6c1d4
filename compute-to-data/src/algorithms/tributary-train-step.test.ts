import { readFile, rm } from "node:fs/promises";
import { SimulatedAttestationVerifier } from "@tributary/enclave-compute";
import { initTrainingBackend } from "@tributary/model-runtime";
import { PrivacyBudgetLedgerStateSchema, RdpAccountant } from "@tributary/privacy";
import { bytesToWeights } from "@tributary/protocol";
import { privacyLedgerFile } from "@tributary/trainer-agent";
import { Wallet } from "ethers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DATASET_ID, type NodeWorld, startNodeWorld } from "../../test-support/c2d-world.js";
import { requestC2dRun } from "../c2d-client.js";

const researcher = Wallet.createRandom();
let world: NodeWorld;

beforeAll(async () => {
  await initTrainingBackend({ prefer: ["wasm"], log: () => {} });
  world = await startNodeWorld({ allow: ["tributary-train-step"], budget: { epsilon: 5, delta: 1e-5 } });
});
afterAll(async () => {
  await world?.service.close();
  if (world !== undefined) await rm(world.dir, { recursive: true, force: true });
});

const model = {
  inputShape: [3],
  layers: [{ type: "dense", units: 3, activation: "softmax" }],
  loss: "sparseCategoricalCrossentropy",
  numClasses: 3,
};

function train(dp: Record<string, unknown>) {
  return requestC2dRun({
    node: world.service.url,
    signer: researcher,
    datasetId: DATASET_ID,
    algorithm: "tributary-train-step",
    params: { model, initialWeights: { seed: 1 }, localEpochs: 1, batchSize: 100, learningRate: 0.01, dp },
    expiresInS: 300,
    acceptance: { verifiers: [new SimulatedAttestationVerifier()], allowSimulated: true, measurements: [] },
  });
}

describe("tributary-train-step", () => {
  it("returns a DP-SGD update of the model's shape, its Gaussian steps charged to the trainer's ledger", async () => {
    const dp = { mode: "dp-sgd", l2NormClip: 1, noiseMultiplier: 1.1, targetEpsilon: 2, delta: 1e-5 };
    const { result } = await train(dp);
    const update = bytesToWeights(Buffer.from(result.output.update as string, "base64"));
    // dense 3 → 3: a 3×3 kernel and 3 biases.
    expect(update).toHaveLength(12);
    expect(update.every(Number.isFinite)).toBe(true);
    expect(update.some((value) => value !== 0)).toBe(true);
    // q = 100/2000, ⌈2000/100⌉ = 20 steps at σ 1.1, exactly as the ledger on disk holds them under the run's label.
    expect(result.output).toMatchObject({
      parameters: 12,
      numExamples: 2000,
      steps: 20,
      noiseMultiplier: 1.1,
      sampleRate: 0.05,
    });
    const state = PrivacyBudgetLedgerStateSchema.parse(
      JSON.parse(await readFile(privacyLedgerFile(world.stateDir, DATASET_ID), "utf8")),
    );
    expect(state.datasets[DATASET_ID]?.byLabel?.["c2d:tributary-train-step"]?.gaussian).toEqual([
      { noiseMultiplier: 1.1, sampleRate: 0.05, count: 20 },
    ]);
    const alone = new RdpAccountant().step(1.1, 0.05, 20).getEpsilon(1e-5).epsilon;
    expect(result.privacy.epsilonCharged).toBeCloseTo(alone, 12);
    expect(result.privacy.epsilonSpent).toBeCloseTo(alone, 12);
  });

  it("never trains without DP, and refuses a model the records do not fit, charging nothing", async () => {
    const before = (await world.guard.refresh()).epsilon;
    await expect(train({ mode: "off" })).rejects.toMatchObject({ code: "INVALID_INPUT", message: /must be dp-sgd/ });
    await expect(
      requestC2dRun({
        node: world.service.url,
        signer: researcher,
        datasetId: DATASET_ID,
        algorithm: "tributary-train-step",
        params: {
          model: { ...model, inputShape: [4] },
          initialWeights: { seed: 1 },
          localEpochs: 1,
          batchSize: 100,
          learningRate: 0.01,
          dp: { mode: "dp-sgd", l2NormClip: 1, targetEpsilon: 1, delta: 1e-5 },
        },
        expiresInS: 300,
        acceptance: { verifiers: [new SimulatedAttestationVerifier()], allowSimulated: true, measurements: [] },
      }),
    ).rejects.toMatchObject({ code: "INVALID_INPUT", message: /the records have 3 features, the model takes 4/ });
    expect((await world.guard.refresh()).epsilon).toBe(before);
  });
});
