import { bytesToWeights, type DatasetId, type JobId, type TrainInstruction, weightsToBytes } from "@tributary/protocol";
import { Wallet } from "ethers";
import { afterEach, describe, expect, it } from "vitest";
import { CoordinatorProcess, freePort } from "../../test-support/coordinator-process.js";
import { DATABASES, type TestDatabase } from "../../test-support/databases.js";
import { downloadModel, ok, signInAs, until } from "../../test-support/rest.js";
import { ScriptedTrainer } from "../../test-support/scripted-trainer.js";
import { testManifest } from "../../test-support/test-manifest.js";

const PARAMS = 10;
const model = { inputShape: [4], layers: [{ type: "dense", units: 2 }], loss: "meanSquaredError" };

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const step of cleanup.reverse()) await step();
  cleanup = [];
});

function delta(seed: number): Float32Array {
  return Float32Array.from({ length: PARAMS }, (_, i) => Math.sin(seed * 7 + i) / 10);
}

const researcher = Wallet.createRandom();

/** A global model, downloaded as the job's researcher (signing in afresh: a restart ends sessions). */
async function weights(url: string, cid: string): Promise<Float64Array> {
  const token = await signInAs(url, researcher);
  return Float64Array.from(bytesToWeights((await downloadModel(url, cid, token)).bytes));
}

describe.each(DATABASES)("a coordinator SIGKILLed mid-round on $name", (database) => {
  it("resumes the job on restart, resends the round to the trainer that had not answered, counts no update twice", async () => {
    const db: TestDatabase = await database.setup();
    cleanup.push(() => db.cleanup());
    const port = await freePort();
    const env = { TRIBUTARY_DATA_DIR: db.dataDir, ...db.env };
    let coordinator = await CoordinatorProcess.start(port, env);
    cleanup.push(() => coordinator.kill());

    const wallets = [0, 1, 2].map(() => Wallet.createRandom());
    const datasets: DatasetId[] = [];
    // Committed record counts: what each trainer claims below (100, 300 and 600 examples).
    const manifests = wallets.map((_, index) => testManifest([100, 300, 600][index] as number, `restart ${index}`));
    for (const [index, wallet] of wallets.entries()) {
      const dataset = await ok<{ id: DatasetId }>(
        coordinator.url,
        "POST",
        "/datasets",
        {
          owner: wallet.address.toLowerCase(),
          name: `shard ${index}`,
          commitment: manifests[index]?.commitment,
          recordCount: manifests[index]?.manifest.recordCount,
          epsilonBudget: 1,
          deltaBudget: 1e-5,
        },
        await signInAs(coordinator.url, wallet),
      );
      datasets.push(dataset.id);
    }
    const job = await ok<{ id: JobId; modelCid: string }>(
      coordinator.url,
      "POST",
      "/jobs",
      {
        name: "restart",
        model,
        datasetIds: datasets,
        rounds: 2,
        learningRate: 0.1,
        clients: { min: 3, max: 3 },
        roundTimeoutS: 120,
      },
      await signInAs(coordinator.url, researcher),
    );
    const connect = async () => {
      const trainers = await Promise.all(
        wallets.map((wallet, i) =>
          ScriptedTrainer.connect(coordinator.url, wallet as unknown as Wallet, datasets[i] as DatasetId, {
            manifest: manifests[i]?.manifest,
          }),
        ),
      );
      cleanup.push(async () => {
        for (const trainer of trainers) trainer.close();
      });
      return trainers;
    };

    let trainers = await connect();
    for (const trainer of trainers) expect((await trainer.join(job.id)).ok).toBe(true);
    const first = await Promise.all(trainers.map((t) => t.next()));
    const round0 = first.map((i) => i.instruction as TrainInstruction);
    const expected = await weights(coordinator.url, job.modelCid);
    const [a, b] = trainers as [ScriptedTrainer, ScriptedTrainer, ScriptedTrainer];
    const aHeader = await a.sign(round0[0] as TrainInstruction, delta(1), 100);
    expect((await a.send(aHeader, weightsToBytes(delta(1)))).ok).toBe(true);
    expect((await b.submit(round0[1] as TrainInstruction, delta(2), 300)).ok).toBe(true);

    // Killed with two of three updates persisted; the third trainer has not answered yet.
    await coordinator.kill();
    for (const trainer of trainers) trainer.close();
    coordinator = await CoordinatorProcess.start(port, env);
    trainers = await connect();
    const [a2, , c2] = trainers as [ScriptedTrainer, ScriptedTrainer, ScriptedTrainer];

    // Only the trainer that had not answered is asked again, with the same nonce as before the crash.
    const resent = await c2.next();
    expect(resent.instruction.nonce).toBe(round0[2]?.nonce);
    // A trainer that never saw its acknowledgement resends: the restarted coordinator still knows it has it.
    const replay = await a2.send(aHeader, weightsToBytes(delta(1)));
    expect(replay.ok ? "" : replay.message).toMatch(/duplicate/);
    expect((await c2.submit(resent.instruction as TrainInstruction, delta(3), 600)).ok).toBe(true);

    const round1 = await Promise.all(trainers.map((t) => t.next()));
    for (const [index, trainer] of trainers.entries()) {
      expect(round1[index]?.instruction.round).toBe(1);
      expect((await trainer.submit(round1[index]?.instruction as TrainInstruction, delta(10 + index), 100)).ok).toBe(
        true,
      );
    }
    for (const trainer of trainers) {
      const evaluation = await trainer.next();
      expect(evaluation.kind).toBe("evaluate");
      await trainer.evaluate(evaluation.instruction, { evalAccuracy: 0.5 }, 10);
    }
    const finished = await until(
      "job completion",
      async () => {
        const current = await ok<{ status: string; modelCid: string }>(coordinator.url, "GET", `/jobs/${job.id}`);
        return current.status === "completed" ? current : undefined;
      },
      60_000,
    );

    for (let i = 0; i < PARAMS; i++) {
      const r0 = ((delta(1)[i] as number) * 100 + (delta(2)[i] as number) * 300 + (delta(3)[i] as number) * 600) / 1000;
      const r1 = ((delta(10)[i] as number) + (delta(11)[i] as number) + (delta(12)[i] as number)) / 3;
      expected[i] = (expected[i] as number) + r0 + r1;
    }
    const final = await weights(coordinator.url, finished.modelCid);
    for (let i = 0; i < PARAMS; i++) expect(final[i]).toBeCloseTo(expected[i] as number, 6);
    const rounds = await ok<{ round: number; metrics: { updates: number } | null }[]>(
      coordinator.url,
      "GET",
      `/jobs/${job.id}/rounds`,
    );
    expect(rounds.filter((r) => r.round < 2).map((r) => r.metrics?.updates)).toEqual([3, 3]);
  });
});
