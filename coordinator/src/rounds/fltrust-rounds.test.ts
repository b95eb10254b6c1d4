import {
  bytesToWeights,
  type DatasetId,
  encodeValidationSet,
  type JobId,
  type TrainInstruction,
} from "@tributary/protocol";
import { Wallet } from "ethers";
import { afterEach, describe, expect, it } from "vitest";
import { DATABASES } from "../../test-support/databases.js";
import { downloadModel, ok, signInAs, until } from "../../test-support/rest.js";
import { ScriptedTrainer } from "../../test-support/scripted-trainer.js";
import { testManifest } from "../../test-support/test-manifest.js";
import { createCoordinator } from "../create-coordinator.js";

// A 4 → 2 linear layer under mean squared error against one-hot labels: kernel [4, 2] row-major (8), bias (2).
const MODEL = { inputShape: [4], layers: [{ type: "dense", units: 2 }], loss: "meanSquaredError" };
const PARAMS = 10;
// The researcher's root dataset: four records, labels 0, 1, 1, 0.
const ROOT_X = [
  [1, 0, 0.5, -1],
  [0, 1, -0.5, 2],
  [0.25, 0.75, 1, 0],
  [-1, 0.5, 0, 1],
];
const ROOT_Y = [0, 1, 1, 0];
const ROOT_SET = encodeValidationSet({
  featureShape: [4],
  features: Float32Array.from(ROOT_X.flat()),
  labels: Int32Array.from(ROOT_Y),
});
const LEARNING_RATE = 0.2;
// Cosine schedule over 2 rounds with final fraction 0.5: round 0 at the full rate, round 1 at half.
const ROUND_RATE = [LEARNING_RATE, LEARNING_RATE * 0.5];

/**
 * The server's update in closed form (float64): `steps` gradient steps, each on one batch holding the four records
 * (batch size 32), of the mean over records of mean_k (W·x + b − onehot(y))_k². Per record the gradient is
 * (2/2)·r_k·x_j for W[j][k] and r_k for b_k, with r = W·x + b − onehot(y); the batch mean divides by 4.
 */
function rootUpdate(global: Float64Array, learningRate: number, steps: number): Float64Array {
  const weights = Float64Array.from(global);
  for (let step = 0; step < steps; step++) {
    const gradient = new Float64Array(PARAMS);
    ROOT_X.forEach((x, i) => {
      for (let k = 0; k < 2; k++) {
        let output = weights[8 + k] as number;
        for (let j = 0; j < 4; j++) output += (x[j] as number) * (weights[j * 2 + k] as number);
        const residual = output - (ROOT_Y[i] === k ? 1 : 0);
        for (let j = 0; j < 4; j++)
          gradient[j * 2 + k] = (gradient[j * 2 + k] as number) + (residual * (x[j] as number)) / 4;
        gradient[8 + k] = (gradient[8 + k] as number) + residual / 4;
      }
    });
    for (let j = 0; j < PARAMS; j++) weights[j] = (weights[j] as number) - learningRate * (gradient[j] as number);
  }
  return weights.map((value, j) => value - (global[j] as number));
}

/** FLTrust's formula, written out here: Σ ReLU(cos(g_i, g₀))·(‖g₀‖/‖g_i‖)·g_i / Σ ReLU(cos(g_i, g₀)). */
function flTrustReference(updates: readonly Float32Array[], server: Float64Array): Float64Array {
  const norm = (v: ArrayLike<number>) => Math.hypot(...Array.from(v));
  const dot = (a: ArrayLike<number>, b: ArrayLike<number>) =>
    Array.from(a).reduce((s, x, j) => s + x * (b[j] as number), 0);
  const sum = new Float64Array(PARAMS);
  let trustTotal = 0;
  for (const g of updates) {
    const trust = Math.max(0, dot(g, server) / (norm(g) * norm(server)));
    trustTotal += trust;
    for (let j = 0; j < PARAMS; j++) sum[j] = (sum[j] as number) + (trust * norm(server) * (g[j] as number)) / norm(g);
  }
  return sum.map((value) => value / trustTotal);
}

/** What the test started, stopped in reverse order after it. */
const started: (() => unknown)[] = [];

afterEach(async () => {
  for (const stop of started.splice(0).reverse()) await stop();
});

/** A coordinator with `owners` enrolled datasets, each with its scripted trainer, and a signed-in researcher. */
async function coordinatorWithOwners(database: (typeof DATABASES)[number], owners: number) {
  const db = await database.setup();
  const coordinator = await createCoordinator(
    { port: 0, dataDir: db.dataDir, mode: "development", tickSeconds: 0.1, ...db.config },
    process.env.TEST_LOGS ? {} : { logger: false },
  );
  started.push(
    () => db.cleanup(),
    () => coordinator.close(),
  );
  const trainers: ScriptedTrainer[] = [];
  const datasetIds: DatasetId[] = [];
  for (let index = 0; index < owners; index++) {
    const wallet = Wallet.createRandom();
    const { manifest, commitment } = testManifest(1000, `owner ${index}`);
    const enrolment = { owner: wallet.address.toLowerCase(), name: `owner ${index}`, commitment, recordCount: 1000 };
    const dataset = await ok<{ id: DatasetId }>(
      coordinator.url,
      "POST",
      "/datasets",
      { ...enrolment, epsilonBudget: 8, deltaBudget: 1e-5 },
      await signInAs(coordinator.url, wallet),
    );
    datasetIds.push(dataset.id);
    const trainer = await ScriptedTrainer.connect(coordinator.url, wallet as unknown as Wallet, dataset.id, {
      manifest,
    });
    started.push(() => trainer.close());
    trainers.push(trainer);
  }
  const researcher = await signInAs(coordinator.url, Wallet.createRandom());
  const upload = async (bytes: Uint8Array) => {
    const response = await fetch(`${coordinator.url}/validation-sets`, {
      method: "POST",
      headers: { "content-type": "application/octet-stream", authorization: `Bearer ${researcher}` },
      body: bytes,
    });
    return ((await response.json()) as { cid: string }).cid;
  };
  const createJob = (spec: Record<string, unknown>) =>
    fetch(`${coordinator.url}/jobs`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${researcher}` },
      body: JSON.stringify({ name: "fltrust job", model: MODEL, datasetIds, learningRate: LEARNING_RATE, ...spec }),
    });
  return { coordinator, trainers, researcher, upload, createJob };
}

describe.each(DATABASES)("FLTrust jobs on $name", (database) => {
  it("aggregates each round by trust in the server's update trained on the root dataset: sign-flipped updates count for nothing", async () => {
    const { coordinator, trainers, researcher, upload, createJob } = await coordinatorWithOwners(database, 5);
    const rootDatasetCid = await upload(ROOT_SET);
    const response = await createJob({
      rounds: 2,
      clients: { min: 5, max: 5 },
      strategy: { name: "fltrust", rootDatasetCid },
      learningRateSchedule: { kind: "cosine", finalFraction: 0.5 },
    });
    expect(response.status).toBe(201);
    const { id: jobId, modelCid } = (await response.json()) as { id: JobId; modelCid: string };
    for (const trainer of trainers) expect((await trainer.join(jobId)).ok).toBe(true);
    const model = async (cid: string) =>
      Float64Array.from(bytesToWeights((await downloadModel(coordinator.url, cid, researcher)).bytes));

    // The updates' example counts take ⌈n/32⌉ = 4, 2, 7, 2 and 10 steps of one local epoch: the server takes the
    // median, 4.
    const examples = [100, 64, 200, 33, 300];
    let expected = await model(modelCid);
    for (let round = 0; round < 2; round++) {
      const server = rootUpdate(expected, ROUND_RATE[round] as number, 4);
      // Three honest updates near the server's direction, at different scales; two Byzantine ones flip the sign
      // of an honest update and scale it ×10.
      const honest = [1, 3, 0.5].map((scale, h) =>
        Float32Array.from(server, (g, j) => scale * g * (1 + 0.3 * Math.sin(7 * h + j + round))),
      );
      const updates = [...honest, ...[0, 1].map((h) => Float32Array.from(honest[h] as Float32Array, (g) => -10 * g))];
      for (const [index, trainer] of trainers.entries()) {
        const { kind, instruction } = await trainer.next();
        expect(kind).toBe("train");
        const update = updates[index] as Float32Array;
        const ack = await trainer.submit(instruction as TrainInstruction, update, examples[index] as number);
        expect(ack.ok).toBe(true);
      }
      const aggregate = flTrustReference(updates, server);
      expected = expected.map((value, j) => value + (aggregate[j] as number));
    }
    for (const [index, trainer] of trainers.entries()) {
      const { kind, instruction } = await trainer.next();
      expect(kind).toBe("evaluate");
      expect((await trainer.evaluate(instruction, { evalAccuracy: 0.5 }, 10 + index)).ok).toBe(true);
    }
    const job = await until("job completion", async () => {
      const view = await ok<{ status: string; modelCid: string; error: string | null }>(
        coordinator.url,
        "GET",
        `/jobs/${jobId}`,
      );
      if (view.status === "failed") throw new Error(`job failed: ${view.error}`);
      return view.status === "completed" ? view : undefined;
    });
    const final = await model(job.modelCid);
    for (const [j, value] of final.entries()) expect(value).toBeCloseTo(expected[j] as number, 5);
  });

  it("refuses an fltrust spec without a root dataset, with one nobody uploaded, or with the validation set as root", async () => {
    const { upload, createJob } = await coordinatorWithOwners(database, 1);
    const refusal = async (spec: Record<string, unknown>) => {
      const response = await createJob(spec);
      expect(response.status).toBe(400);
      return JSON.stringify(await response.json());
    };
    const base = { rounds: 1, clients: { min: 1, max: 1 } };
    expect(await refusal({ ...base, strategy: { name: "fltrust" } })).toMatch(
      /strategy.rootDatasetCid[^"]*: is missing: fltrust trains the server's own update each round on a root dataset/,
    );
    const unknown = "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku";
    expect(await refusal({ ...base, strategy: { name: "fltrust", rootDatasetCid: unknown } })).toContain(
      "JobSpec.strategy.rootDatasetCid: no root dataset was uploaded with this CID",
    );
    const cid = await upload(ROOT_SET);
    const scoredOnRoot = {
      ...base,
      strategy: { name: "fltrust", rootDatasetCid: cid },
      scoring: { method: "leave-one-out", validationSetCid: cid },
    };
    expect(await refusal(scoredOnRoot)).toContain("is the validation set that scores the contributions");
    const wrongShape = await upload(
      encodeValidationSet({ featureShape: [3], features: new Float32Array(3), labels: Int32Array.of(0) }),
    );
    expect(await refusal({ ...base, strategy: { name: "fltrust", rootDatasetCid: wrongShape } })).toContain(
      "JobSpec.strategy.rootDatasetCid: holds 3 features, the model takes 4",
    );
  });
});
