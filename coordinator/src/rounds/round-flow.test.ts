import { createHash } from "node:crypto";
import {
  bytesToWeights,
  type DatasetId,
  encodeValidationSet,
  type JobId,
  type TrainInstruction,
  weightsToBytes,
} from "@tributary/protocol";
import { Wallet } from "ethers";
import { afterEach, describe, expect, it } from "vitest";
import { DATABASES, type TestDatabase } from "../../test-support/databases.js";
import { downloadModel, ok, signInAs, until } from "../../test-support/rest.js";
import { ScriptedTrainer } from "../../test-support/scripted-trainer.js";
import { testManifest } from "../../test-support/test-manifest.js";
import { type Coordinator, createCoordinator } from "../create-coordinator.js";

// A 4 → 2 dense model: 8 kernel weights and 2 biases.
const PARAMS = 10;
const model = { inputShape: [4], layers: [{ type: "dense", units: 2 }], loss: "meanSquaredError" };

interface Env {
  db: TestDatabase;
  coordinator: Coordinator;
  trainers: ScriptedTrainer[];
}

let env: Env | undefined;
/** The session of the researcher who created the job under test. */
let researcherToken: string | undefined;

afterEach(async () => {
  if (env === undefined) return;
  for (const trainer of env.trainers) trainer.close();
  await env.coordinator.close();
  await env.db.cleanup();
  env = undefined;
});

async function start(
  database: (typeof DATABASES)[number],
  trainerCount: number,
  job: Record<string, unknown>,
  mode: "development" | "production" = "development",
) {
  const db = await database.setup();
  const coordinator = await createCoordinator(
    {
      port: 0,
      dataDir: db.dataDir,
      mode,
      tickSeconds: 0.1,
      ...db.config,
    },
    process.env.TEST_LOGS ? {} : { logger: false },
  );
  const trainers: ScriptedTrainer[] = [];
  env = { db, coordinator, trainers };
  const datasetIds: DatasetId[] = [];
  for (let index = 0; index < trainerCount; index++) {
    const wallet = Wallet.createRandom();
    const { manifest, commitment } = testManifest(100 * (index + 1), `shard ${index}`);
    const dataset = await ok<{ id: DatasetId }>(
      coordinator.url,
      "POST",
      "/datasets",
      {
        owner: wallet.address.toLowerCase(),
        name: `shard ${index}`,
        commitment,
        recordCount: 100 * (index + 1),
        epsilonBudget: 8,
        deltaBudget: 1e-5,
      },
      await signInAs(coordinator.url, wallet),
    );
    datasetIds.push(dataset.id);
    trainers.push(
      await ScriptedTrainer.connect(coordinator.url, wallet as unknown as Wallet, dataset.id, { manifest }),
    );
  }
  researcherToken = await signInAs(coordinator.url, Wallet.createRandom());
  const created = await ok<{ id: JobId; modelCid: string }>(
    coordinator.url,
    "POST",
    "/jobs",
    { name: "test job", model, datasetIds, learningRate: 0.1, ...job },
    researcherToken,
  );
  return { coordinator, trainers, jobId: created.id, initialCid: created.modelCid };
}

async function globalModel(coordinator: Coordinator, cid: string): Promise<Float64Array> {
  return Float64Array.from(bytesToWeights((await downloadModel(coordinator.url, cid, researcherToken)).bytes));
}

function randomDelta(scale = 0.1): Float32Array {
  return Float32Array.from({ length: PARAMS }, () => (Math.random() - 0.5) * scale);
}

async function completed(coordinator: Coordinator, jobId: JobId) {
  return until("job completion", async () => {
    const job = await ok<{
      status: string;
      modelCid: string;
      finalMetrics: Record<string, number> | null;
      result: Record<string, unknown> | null;
      error: string | null;
    }>(coordinator.url, "GET", `/jobs/${jobId}`);
    if (job.status === "failed") throw new Error(`job failed: ${job.error}`);
    return job.status === "completed" ? job : undefined;
  });
}

describe.each(DATABASES)("federated rounds on $name", (database) => {
  it("runs FedAvg over two rounds and a final evaluation: the model is the example-weighted mean of the deltas", async () => {
    const { coordinator, trainers, jobId, initialCid } = await start(database, 3, {
      rounds: 2,
      clients: { min: 3, max: 3 },
      strategy: { name: "fedavg" },
    });
    for (const trainer of trainers) expect((await trainer.join(jobId)).ok).toBe(true);
    const expected = await globalModel(coordinator, initialCid);
    for (let round = 0; round < 2; round++) {
      const sums = new Float64Array(PARAMS);
      let total = 0;
      for (const [index, trainer] of trainers.entries()) {
        const { kind, instruction } = await trainer.next();
        expect(kind).toBe("train");
        expect(instruction.round).toBe(round);
        const download = await downloadModel(coordinator.url, instruction.modelCid, trainer.token);
        expect(`0x${createHash("sha256").update(download.bytes).digest("hex")}`).toBe(instruction.modelHash);
        const delta = randomDelta();
        const examples = 100 * (index + 1);
        delta.forEach((value, i) => {
          sums[i] = (sums[i] as number) + value * examples;
        });
        total += examples;
        const ack = await trainer.submit(instruction as TrainInstruction, delta, examples, {
          loss: 1 / (round + 1),
          evalAccuracy: 0.5 + index / 10,
          evalExamples: 10,
        });
        expect(ack).toEqual({ ok: true, accepted: true });
      }
      for (let i = 0; i < PARAMS; i++) expected[i] = (expected[i] as number) + (sums[i] as number) / total;
    }
    for (const [index, trainer] of trainers.entries()) {
      const { kind, instruction } = await trainer.next();
      expect(kind).toBe("evaluate");
      expect((await trainer.evaluate(instruction, { evalAccuracy: 0.7 + index / 10 }, 10 * (index + 1))).ok).toBe(true);
    }
    const job = await completed(coordinator, jobId);
    const final = await globalModel(coordinator, job.modelCid);
    for (let i = 0; i < PARAMS; i++) expect(final[i]).toBeCloseTo(expected[i] as number, 6);
    // Final accuracy is the evaluation weighted by held-out examples: (0.7·10 + 0.8·20 + 0.9·30) / 60.
    expect(job.finalMetrics?.evalAccuracy).toBeCloseTo((0.7 * 10 + 0.8 * 20 + 0.9 * 30) / 60, 12);
    const rounds = await ok<{ round: number; metrics: Record<string, number> }[]>(
      coordinator.url,
      "GET",
      `/jobs/${jobId}/rounds`,
    );
    expect(rounds.map((r) => r.round)).toEqual([0, 1, 2]);
    expect(rounds[0]?.metrics.evalAccuracy).toBeCloseTo((0.5 + 0.6 + 0.7) / 3, 12);
    // No validation set: the job returns its last model.
    expect(job.result).toMatchObject({ model: "last", round: 1, modelCid: job.modelCid, validationLoss: null });
  });

  it("measures every round's model on the researcher's validation set and returns the best one, with the last beside it", async () => {
    // Two records, x = e₀ with label 0 and x = e₁ with label 1, through a 4 → 2 softmax layer.
    const softmaxModel = {
      inputShape: [4],
      layers: [{ type: "dense", units: 2, activation: "softmax" }],
      loss: "sparseCategoricalCrossentropy",
      numClasses: 2,
    };
    const db = await database.setup();
    const coordinator = await createCoordinator(
      { port: 0, dataDir: db.dataDir, mode: "development", tickSeconds: 0.1, ...db.config },
      process.env.TEST_LOGS ? {} : { logger: false },
    );
    env = { db, coordinator, trainers: [] };
    const wallet = Wallet.createRandom();
    const { manifest, commitment } = testManifest(100, "shard");
    const dataset = await ok<{ id: DatasetId }>(
      coordinator.url,
      "POST",
      "/datasets",
      {
        owner: wallet.address.toLowerCase(),
        name: "shard",
        commitment,
        recordCount: 100,
        epsilonBudget: 8,
        deltaBudget: 1e-5,
      },
      await signInAs(coordinator.url, wallet),
    );
    const trainer = await ScriptedTrainer.connect(coordinator.url, wallet as unknown as Wallet, dataset.id, {
      manifest,
    });
    env.trainers.push(trainer);
    researcherToken = await signInAs(coordinator.url, Wallet.createRandom());
    const features = Float32Array.from([1, 0, 0, 0, 0, 1, 0, 0]);
    const uploaded = await fetch(`${coordinator.url}/validation-sets`, {
      method: "POST",
      headers: { "content-type": "application/octet-stream", authorization: `Bearer ${researcherToken}` },
      body: encodeValidationSet({ featureShape: [4], features, labels: Int32Array.from([0, 1]) }),
    });
    const validationSetCid = ((await uploaded.json()) as { cid: string }).cid;
    const created = await ok<{ id: JobId; modelCid: string }>(
      coordinator.url,
      "POST",
      "/jobs",
      {
        name: "best of rounds",
        model: softmaxModel,
        datasetIds: [dataset.id],
        rounds: 2,
        learningRate: 0.1,
        clients: { min: 1, max: 1 },
        scoring: { method: "leave-one-out", validationSetCid },
      },
      researcherToken,
    );
    expect((await trainer.join(created.id)).ok).toBe(true);
    // Round 0 moves both records' logits towards their labels; round 1 moves them further the other way.
    const step = (amount: number) => {
      const delta = new Float32Array(PARAMS);
      delta[0] = amount; // kernel[0][0]: logit 0 of record e₀
      delta[3] = amount; // kernel[1][1]: logit 1 of record e₁
      return delta;
    };
    for (const amount of [2, -5]) {
      const { instruction } = await trainer.next();
      expect((await trainer.submit(instruction as TrainInstruction, step(amount), 100)).ok).toBe(true);
    }
    const { kind, instruction } = await trainer.next();
    expect(kind).toBe("evaluate");
    expect((await trainer.evaluate(instruction, { evalAccuracy: 0.5 }, 10)).ok).toBe(true);
    const job = await completed(coordinator, created.id);
    const rounds = await ok<{ round: number; outputModelCid: string | null; metrics: Record<string, number> }[]>(
      coordinator.url,
      "GET",
      `/jobs/${created.id}/rounds`,
    );
    // Float64 reference: mean cross-entropy and accuracy of the two records under each round's output model.
    const reference = async (cid: string) => {
      const w = await globalModel(coordinator, cid);
      const at = (i: number) => w[i] as number;
      const marginA = at(0) + at(8) - (at(1) + at(9)); // z₀ − z₁ for e₀ (label 0)
      const marginB = at(3) + at(9) - (at(2) + at(8)); // z₁ − z₀ for e₁ (label 1)
      const loss = (Math.log1p(Math.exp(-marginA)) + Math.log1p(Math.exp(-marginB))) / 2;
      return { loss, accuracy: ((marginA > 0 ? 1 : 0) + (marginB > 0 ? 1 : 0)) / 2 };
    };
    const first = await reference(rounds[0]?.outputModelCid as string);
    const second = await reference(rounds[1]?.outputModelCid as string);
    expect(rounds[0]?.metrics.validationLoss).toBeCloseTo(first.loss, 5);
    expect(rounds[1]?.metrics.validationLoss).toBeCloseTo(second.loss, 5);
    expect(first.loss).toBeLessThan(second.loss);
    expect(job.result).toEqual({
      model: "best-validation",
      round: 0,
      modelCid: rounds[0]?.outputModelCid,
      validationLoss: expect.closeTo(first.loss, 5),
      validationAccuracy: first.accuracy,
      last: {
        round: 1,
        modelCid: job.modelCid,
        validationLoss: expect.closeTo(second.loss, 5),
        validationAccuracy: second.accuracy,
      },
    });
  });

  it("rejects forged, replayed, mis-shaped, NaN, mis-hashed and unselected updates with their reasons; none is aggregated", async () => {
    const { coordinator, trainers, jobId, initialCid } = await start(database, 3, {
      rounds: 1,
      clients: { min: 2, max: 2 },
      strategy: { name: "fedavg" },
    });
    for (const trainer of trainers) expect((await trainer.join(jobId)).ok).toBe(true);
    const received = await Promise.all(
      trainers.map((t) =>
        t.next(3000).then(
          (i) => ({ t, i }),
          () => undefined,
        ),
      ),
    );
    const selected = received.flatMap((r) =>
      r !== undefined && r.i.kind === "train" ? [{ t: r.t, i: { instruction: r.i.instruction } }] : [],
    );
    expect(selected).toHaveLength(2);
    const [a, b] = selected as [(typeof selected)[number], (typeof selected)[number]];
    const outsider = trainers.find((t) => t !== a.t && t !== b.t) as ScriptedTrainer;
    const reason = (ack: { ok: boolean; message?: string }) =>
      ack.ok ? "accepted" : /\(([a-z-]+)\)/.exec(ack.message ?? "")?.[1];

    const good = randomDelta();
    const header = await a.t.sign(a.i.instruction, good, 100);
    // Signed by a key that is not the trainer's.
    const forged = await a.t.sign(a.i.instruction, good, 100, {}, Wallet.createRandom());
    expect(reason(await a.t.send(forged, weightsToBytes(good)))).toBe("bad-signature");
    // Someone else's correctly signed update, sent from another connection.
    expect(reason(await b.t.send(header, weightsToBytes(good)))).toBe("trainer-mismatch");
    // An update from a trainer that was not selected, answering a selected trainer's instruction.
    expect(reason(await outsider.submit(a.i.instruction, good, 100))).toBe("not-selected");
    // Bytes that are not what the header's hash commits to.
    expect(reason(await a.t.send(header, weightsToBytes(randomDelta())))).toBe("hash-mismatch");
    // Mis-shaped (9 floats for a 10-parameter model) and NaN updates, correctly signed and hashed.
    expect(reason(await a.t.submit(a.i.instruction, good.subarray(0, 9), 100))).toBe("invalid-update");
    const poisoned = Float32Array.from(good);
    poisoned[3] = Number.NaN;
    const nan = await a.t.submit(a.i.instruction, poisoned, 100);
    expect(reason(nan)).toBe("invalid-update");
    expect(nan.ok ? "" : nan.message).toMatch(/index 3/);
    // The genuine update is accepted once; its replay is refused.
    expect(await a.t.send(header, weightsToBytes(good))).toEqual({ ok: true, accepted: true });
    expect(reason(await a.t.send(header, weightsToBytes(good)))).toBe("duplicate");
    // The other selected trainer claims 100 examples: every dataset here committed at least 100 records.
    const other = randomDelta();
    expect((await b.t.submit(b.i.instruction, other, 100)).ok).toBe(true);

    for (const trainer of trainers) {
      const next = await trainer.next();
      expect(next.kind).toBe("evaluate");
      await trainer.evaluate(next.instruction, { evalAccuracy: 1 }, 1);
    }
    const job = await completed(coordinator, jobId);
    const initial = await globalModel(coordinator, initialCid);
    const final = await globalModel(coordinator, job.modelCid);
    for (let i = 0; i < PARAMS; i++) {
      expect(final[i]).toBeCloseTo(
        (initial[i] as number) + ((good[i] as number) * 100 + (other[i] as number) * 100) / 200,
        6,
      );
    }
  });

  it("closes a round at its deadline without a trainer that disconnected mid-round", async () => {
    const { coordinator, trainers, jobId, initialCid } = await start(database, 3, {
      rounds: 1,
      clients: { min: 2, max: 3 },
      roundTimeoutS: 1.5,
    });
    for (const trainer of trainers) expect((await trainer.join(jobId)).ok).toBe(true);
    const instructions = await Promise.all(trainers.map((t) => t.next()));
    const [quitter, ...stayers] = trainers as [ScriptedTrainer, ...ScriptedTrainer[]];
    quitter.close();
    const deltas = stayers.map(() => randomDelta());
    for (const [index, trainer] of stayers.entries()) {
      expect(
        (
          await trainer.submit(
            instructions[index + 1]?.instruction as TrainInstruction,
            deltas[index] as Float32Array,
            50,
          )
        ).ok,
      ).toBe(true);
    }
    for (const trainer of stayers) {
      const next = await trainer.next();
      await trainer.evaluate(next.instruction, { evalAccuracy: 1 }, 1);
    }
    const job = await completed(coordinator, jobId);
    const initial = await globalModel(coordinator, initialCid);
    const final = await globalModel(coordinator, job.modelCid);
    for (let i = 0; i < PARAMS; i++) {
      expect(final[i]).toBeCloseTo(
        (initial[i] as number) + ((deltas[0]?.[i] as number) + (deltas[1]?.[i] as number)) / 2,
        6,
      );
    }
    const rounds = await ok<{ assignments: { trainer: string; status: string }[] }[]>(
      coordinator.url,
      "GET",
      `/jobs/${jobId}/rounds`,
    );
    expect(rounds[0]?.assignments.find((a) => a.trainer === quitter.address)?.status).toBe("dropped");
  });

  it("refuses simulated attestations in production mode", async () => {
    const { trainers, jobId } = await start(database, 1, { rounds: 1 }, "production");
    const ack = await (trainers[0] as ScriptedTrainer).join(jobId);
    expect(ack.ok).toBe(false);
    expect(ack.ok ? "" : ack.code).toBe("ATTESTATION_REJECTED");
    expect(ack.ok ? "" : ack.message).toMatch(/simulated-in-production/);
  });
});
