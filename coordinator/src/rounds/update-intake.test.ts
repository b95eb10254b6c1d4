import { createHash } from "node:crypto";
import { stat } from "node:fs/promises";
import path from "node:path";
import { type DatasetId, type JobId, type TrainInstruction, weightsToBytes } from "@tributary/protocol";
import { Wallet } from "ethers";
import { DataSource } from "typeorm";
import { afterEach, describe, expect, it } from "vitest";
import { DATABASES, type TestDatabase } from "../../test-support/databases.js";
import { ok, signInAs } from "../../test-support/rest.js";
import { ScriptedTrainer } from "../../test-support/scripted-trainer.js";
import { testManifest } from "../../test-support/test-manifest.js";
import { BlobStore } from "../blobs/blob-store.js";
import { type Coordinator, createCoordinator } from "../create-coordinator.js";

const model = { inputShape: [4], layers: [{ type: "dense", units: 2 }], loss: "meanSquaredError" };
const delta = (seed: number) => Float32Array.from({ length: 10 }, (_, i) => Math.sin(seed * 5 + i) / 10);

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const step of cleanup.reverse()) await step();
  cleanup = [];
});

async function start(database: (typeof DATABASES)[number]): Promise<{ db: TestDatabase; coordinator: Coordinator }> {
  const db = await database.setup();
  cleanup.push(() => db.cleanup());
  const coordinator = await createCoordinator(
    { port: 0, dataDir: db.dataDir, tickSeconds: 0.1, ...db.config },
    process.env.TEST_LOGS ? {} : { logger: false },
  );
  cleanup.push(() => coordinator.close());
  return { db, coordinator };
}

/** Enrols a dataset of `records` records by its manifest's commitment; returns its id, owner and manifest. */
async function enrol(coordinator: Coordinator, records: number, tag: string) {
  const wallet = Wallet.createRandom() as unknown as Wallet;
  const { manifest, commitment } = testManifest(records, tag);
  const { id } = await ok<{ id: DatasetId }>(
    coordinator.url,
    "POST",
    "/datasets",
    {
      owner: wallet.address,
      name: tag,
      commitment,
      recordCount: records,
      epsilonBudget: 8,
      deltaBudget: 1e-5,
    },
    await signInAs(coordinator.url, wallet),
  );
  return { id, wallet, manifest };
}

async function connect(coordinator: Coordinator, dataset: Awaited<ReturnType<typeof enrol>>, withManifest = true) {
  const trainer = await ScriptedTrainer.connect(coordinator.url, dataset.wallet, dataset.id, {
    manifest: withManifest ? dataset.manifest : undefined,
  });
  cleanup.push(async () => trainer.close());
  return trainer;
}

async function createJob(coordinator: Coordinator, datasetIds: DatasetId[], extra: object = {}): Promise<JobId> {
  const job = await ok<{ id: JobId }>(
    coordinator.url,
    "POST",
    "/jobs",
    {
      name: "counts",
      model,
      datasetIds,
      rounds: 1,
      learningRate: 0.1,
      clients: { min: datasetIds.length, max: datasetIds.length },
      roundTimeoutS: 120,
      ...extra,
    },
    await signInAs(coordinator.url, Wallet.createRandom()),
  );
  return job.id;
}

async function trainInstruction(trainer: ScriptedTrainer): Promise<TrainInstruction> {
  const next = await trainer.next();
  expect(next.kind).toBe("train");
  return next.instruction as TrainInstruction;
}

describe.each(DATABASES)("update intake on $name", (database) => {
  it("admits a trainer only with a manifest that hashes to its dataset's commitment", async () => {
    const { coordinator } = await start(database);
    const dataset = await enrol(coordinator, 100, "manifest");
    const jobId = await createJob(coordinator, [dataset.id]);
    const trainer = await connect(coordinator, dataset, false);

    // No manifest on file: joining is refused before any challenge is handed out.
    const before = await trainer.join(jobId);
    expect(before).toMatchObject({ ok: false, code: "MANIFEST_REQUIRED" });
    expect(before.ok ? "" : before.message).toMatch(/send dataset \d+'s manifest/);

    // A manifest claiming more records than the committed one does not hash to the commitment.
    const inflated = { ...dataset.manifest, recordCount: 2_147_483_647, labelHistogram: [2_147_483_647] };
    const refused = await trainer.socket.emitWithAck("manifest", inflated);
    expect(refused).toMatchObject({ ok: false, code: "MANIFEST_MISMATCH" });
    expect(refused.message).toContain(`not to dataset ${dataset.id}'s commitment`);

    expect(await trainer.socket.emitWithAck("manifest", dataset.manifest)).toEqual({ ok: true, recordCount: 100 });
    expect((await trainer.join(jobId)).ok).toBe(true);
  });

  it("with maxLocalSteps, refuses numExamples above maxLocalSteps × batchSize, and sends the cap to the trainer", async () => {
    const { coordinator } = await start(database);
    const dataset = await enrol(coordinator, 100, "capped");
    // batch 8, at most 5 steps: 40 of the 100 records can be read in a round.
    const jobId = await createJob(coordinator, [dataset.id], { batchSize: 8, maxLocalSteps: 5 });
    const trainer = await connect(coordinator, dataset);
    expect((await trainer.join(jobId)).ok).toBe(true);
    const instruction = await trainInstruction(trainer);
    expect(instruction.hyperParams).toMatchObject({ batchSize: 8, maxLocalSteps: 5 });
    const over = await trainer.submit(instruction, delta(1), 41);
    expect(over.ok ? "" : over.message).toBe(
      `update rejected (too-many-examples): numExamples 41 exceeds the 40 examples dataset ${dataset.id} can have trained on (its committed record count is 100)`,
    );
    expect(await trainer.submit(instruction, delta(1), 40)).toEqual({ ok: true, accepted: true });
  });

  it("refuses numExamples above the committed record count, and stores 64-bit counts (3,000,000,000 examples)", async () => {
    const { coordinator } = await start(database);
    const big = 3_000_000_000;
    const dataset = await enrol(coordinator, big, "big");
    const jobId = await createJob(coordinator, [dataset.id]);
    const trainer = await connect(coordinator, dataset);
    expect((await trainer.join(jobId)).ok).toBe(true);
    const instruction = await trainInstruction(trainer);

    const over = await trainer.submit(instruction, delta(1), big + 1);
    expect(over).toMatchObject({ ok: false, code: "UPDATE_REJECTED" });
    expect(over.ok ? "" : over.message).toBe(
      `update rejected (too-many-examples): numExamples ${big + 1} exceeds the ${big} examples dataset ${dataset.id} can have trained on (its committed record count is ${big})`,
    );
    expect(await trainer.submit(instruction, delta(1), big)).toEqual({ ok: true, accepted: true });
    const [row] = await coordinator.app
      .get(DataSource)
      .query("SELECT num_examples::text AS n FROM updates WHERE job_id = $1", [jobId]);
    expect(row).toEqual({ n: "3000000000" });
  });

  it("leaves no blob behind when the update's row cannot be inserted", async () => {
    const { coordinator, db } = await start(database);
    const dataset = await enrol(coordinator, 100, "orphan");
    const jobId = await createJob(coordinator, [dataset.id]);
    const trainer = await connect(coordinator, dataset);
    expect((await trainer.join(jobId)).ok).toBe(true);
    const instruction = await trainInstruction(trainer);

    // A fault in the database: every insert into updates fails.
    const source = coordinator.app.get(DataSource);
    await source.query(
      `CREATE FUNCTION refuse_update() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'disk full'; END $$`,
    );
    await source.query(
      "CREATE TRIGGER refuse_update BEFORE INSERT ON updates FOR EACH ROW EXECUTE FUNCTION refuse_update()",
    );
    const bytes = weightsToBytes(delta(2));
    const failed = await trainer.submit(instruction, delta(2), 100);
    expect(failed).toMatchObject({ ok: false, code: "INTERNAL" });
    // No blob under these bytes' CID (CIDv1 raw sha2-256, written out below): neither in this coordinator's store
    // nor in one reading the same directory afresh (the update's bytes were appended to the round's segment file,
    // then taken back with a tombstone), nor as a file of its own.
    const cid = await cidOf(bytes);
    const file = path.join(db.dataDir, "blobs", cid.slice(-2), cid);
    expect(await coordinator.app.get(BlobStore).has(cid)).toBe(false);
    expect(await new BlobStore(db.dataDir).has(cid)).toBe(false);
    expect(await exists(file)).toBe(false);

    await source.query("DROP TRIGGER refuse_update ON updates");
    expect(await trainer.submit(instruction, delta(2), 100)).toEqual({ ok: true, accepted: true });
    expect(await coordinator.app.get(BlobStore).has(cid)).toBe(true);
    expect(new Uint8Array(await new BlobStore(db.dataDir).get(cid))).toEqual(bytes);
  });
});

async function exists(file: string): Promise<boolean> {
  return stat(file).then(
    () => true,
    () => false,
  );
}

/** CIDv1 (raw codec 0x55, sha2-256 multihash) in base32 lower case, written out from the spec. */
async function cidOf(bytes: Uint8Array): Promise<string> {
  const digest = createHash("sha256").update(bytes).digest();
  const cid = Buffer.concat([Buffer.from([0x01, 0x55, 0x12, 0x20]), digest]);
  const alphabet = "abcdefghijklmnopqrstuvwxyz234567";
  let bits = 0;
  let value = 0;
  let out = "b";
  for (const byte of cid) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += alphabet[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += alphabet[(value << (5 - bits)) & 31];
  return out;
}
