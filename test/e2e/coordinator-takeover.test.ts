import { randomBytes } from "node:crypto";
import { coordinatorBlobFetcher, fetchLedger, verifyLedger } from "@tributary/auditor";
import { LocalChain } from "@tributary/contracts/local-chain";
import { bytesToWeights, type DatasetId, type JobId, type TrainInstruction, weightsToBytes } from "@tributary/protocol";
import { Wallet } from "ethers";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CoordinatorProcess, freePort } from "../../coordinator/test-support/coordinator-process.js";
import { DATABASES, TEST_POSTGRES_URL, type TestDatabase } from "../../coordinator/test-support/databases.js";
import { JobWatcher } from "../../coordinator/test-support/job-watcher.js";
import { createOnChainJob, delta, EXAMPLES, ownerManifest } from "../../coordinator/test-support/on-chain-job.js";
import { downloadModel, ok, signInAs, until } from "../../coordinator/test-support/rest.js";
import { ScriptedTrainer } from "../../coordinator/test-support/scripted-trainer.js";

/** Hardhat's first account (published development key): LocalChain's deployer, the jobs' researcher. */
const RESEARCHER_KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";
const REDIS_URL = process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379";
const ROUNDS = 3;
const PARAMS = 10;

let chain: LocalChain;
let db: TestDatabase;
const started: CoordinatorProcess[] = [];
const trainers: ScriptedTrainer[] = [];
const watchers: JobWatcher[] = [];

beforeAll(async () => {
  chain = await LocalChain.start();
  db = await (DATABASES.find((database) => database.name === "postgresql") as (typeof DATABASES)[number]).setup();
});

afterAll(async () => {
  for (const trainer of trainers) trainer.close();
  for (const watcher of watchers) watcher.close();
  for (const coordinator of started) await coordinator.kill();
  await db?.cleanup();
  await chain?.stop();
});

/** One SQL statement against the test schema the two replicas share. */
async function sql<T>(text: string, values: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: TEST_POSTGRES_URL });
  await client.connect();
  try {
    await client.query(`SET search_path TO ${db.config.databaseSchema}`);
    return (await client.query(text, values)).rows as T[];
  } finally {
    await client.end();
  }
}

/** The next training instruction of `round` (an instruction resent after the takeover may come twice). */
async function instructionFor(trainer: ScriptedTrainer, round: number): Promise<TrainInstruction> {
  for (;;) {
    const next = await trainer.next(60_000);
    if (next.kind === "train" && next.instruction.round === round) return next.instruction;
  }
}

describe("two coordinator replicas sharing PostgreSQL and Redis", () => {
  it("the survivor takes over a job whose driving replica is SIGKILLed mid-round, and finishes it: nothing lost or doubled, the ledger verifies against the chain, a watcher on the survivor told of every round", async () => {
    const deployment = chain.system.deployment;
    const sender = await chain.fundedWallet();
    const sessionSecret = `0x${randomBytes(32).toString("hex")}`;
    const env = (node: string): Record<string, string> => ({
      ...db.env,
      TRIBUTARY_DATA_DIR: db.dataDir,
      REDIS_URL,
      TRIBUTARY_NODE_ID: node,
      TRIBUTARY_LEASE_TTL_S: "3",
      TRIBUTARY_SESSION_SECRET: sessionSecret,
      TRIBUTARY_MODE: "development",
      TRIBUTARY_CHAIN_ID: String(chain.chainId),
      TRIBUTARY_VERIFYING_CONTRACT: deployment.contracts.TrainingJobs,
      TRIBUTARY_RPC_URL: chain.url,
      TRIBUTARY_TRAINING_JOBS: deployment.contracts.TrainingJobs,
      TRIBUTARY_DATASET_REGISTRY: deployment.contracts.DatasetRegistry,
      TRIBUTARY_CHAIN_START_BLOCK: String(deployment.startBlock),
      TRIBUTARY_CHAIN_CONFIRMATIONS: "0",
      TRIBUTARY_SENDER_KEY: sender.privateKey,
      TRIBUTARY_CHAIN_POLL_MS: "100",
    });
    // Replica a starts alone, so it adopts the job and takes its lease (and the chain's lock); then replica b.
    const a = await CoordinatorProcess.start(await freePort(), env("replica-a"));
    started.push(a);
    const asCoordinator = { url: a.url, config: { chainId: chain.chainId } } as never;
    const { owners, datasets, jobId } = await createOnChainJob(chain, asCoordinator, sender, ROUNDS);
    const adopted = await until(
      "replica a to adopt the job and drive it",
      async () => {
        const job = await fetch(`${a.url}/jobs/${jobId}`);
        const [lease] = await sql<{ owner: string }>("SELECT owner FROM job_leases WHERE job_id = $1", [jobId]);
        return job.ok && lease?.owner === "replica-a" ? ((await job.json()) as { modelCid: string }) : undefined;
      },
      60_000,
    );
    const initialCid = adopted.modelCid;
    const b = await CoordinatorProcess.start(await freePort(), env("replica-b"));
    started.push(b);

    // A researcher watches the job on replica b's watch channel; replica a drives it until it dies.
    const watcher = JobWatcher.open(b.url, {
      token: await signInAs(b.url, new Wallet(RESEARCHER_KEY), chain.chainId),
    });
    watchers.push(watcher);
    const { ended } = await watcher.watch(jobId);

    // Owners 0 and 1 connect to replica a, owner 2 to replica b.
    const homes = [a, a, b];
    const connect = async (index: number, url: string) => {
      const trainer = await ScriptedTrainer.connect(url, owners[index] as Wallet, datasets[index] as DatasetId, {
        chainId: chain.chainId,
        verifyingContract: deployment.contracts.TrainingJobs,
        manifest: ownerManifest(owners[index] as Wallet, index).manifest,
      });
      trainers.push(trainer);
      return trainer;
    };
    const fleet = await Promise.all(homes.map((home, index) => connect(index, home.url)));
    for (const trainer of fleet) expect((await trainer.join(jobId as JobId)).ok).toBe(true);

    // Round 0 over both replicas: the driving replica's instructions reach the trainers of the other one.
    const round0 = await Promise.all(fleet.map((trainer) => instructionFor(trainer, 0)));
    for (const [index, trainer] of fleet.entries()) {
      const ack = await trainer.submit(round0[index] as TrainInstruction, delta(1 + index), EXAMPLES[index] as number);
      expect(ack.ok ? "" : ack.message).toBe("");
    }

    // Round 1: owner 0 answers through replica a (the driver), owner 2 through replica b; owner 1 not yet.
    const round1 = await Promise.all(fleet.map((trainer) => instructionFor(trainer, 1)));
    const headers = new Map<number, Awaited<ReturnType<ScriptedTrainer["sign"]>>>();
    for (const index of [0, 2]) {
      const trainer = fleet[index] as ScriptedTrainer;
      const header = await trainer.sign(
        round1[index] as TrainInstruction,
        delta(10 + index),
        EXAMPLES[index] as number,
      );
      headers.set(index, header);
      expect((await trainer.send(header, weightsToBytes(delta(10 + index)))).ok).toBe(true);
    }

    // The driving replica dies without a chance to clean up; its trainers reconnect to replica b.
    await a.kill();
    fleet[0]?.close();
    fleet[1]?.close();
    const moved = [await connect(0, b.url), await connect(1, b.url), fleet[2] as ScriptedTrainer];

    // Owner 1, which had not answered, is asked again (same nonce); owner 0, which never saw its acknowledgement,
    // resends and is told the update is already in. Replica b takes the job over once a's lease expired, then closes
    // and aggregates the round.
    const resent = await instructionFor(moved[1] as ScriptedTrainer, 1);
    expect(resent.nonce).toBe(round1[1]?.nonce);
    const replay = await (moved[0] as ScriptedTrainer).send(headers.get(0), weightsToBytes(delta(10)));
    expect(replay.ok ? "" : replay.message).toMatch(/already accepted/);
    expect((await (moved[1] as ScriptedTrainer).submit(resent, delta(11), EXAMPLES[1] as number)).ok).toBe(true);

    // Round 2 and the final evaluation, all on the survivor's side now.
    const round2 = await Promise.all(moved.map((trainer) => instructionFor(trainer, 2)));
    for (const [index, trainer] of moved.entries()) {
      expect(
        (await trainer.submit(round2[index] as TrainInstruction, delta(20 + index), EXAMPLES[index] as number)).ok,
      ).toBe(true);
    }
    for (const trainer of moved) {
      let next = await trainer.next(60_000);
      while (next.kind === "train") next = await trainer.next(60_000);
      expect((await trainer.evaluate(next.instruction, { evalAccuracy: 0.5 }, 10)).ok).toBe(true);
    }
    const [lease] = await sql<{ owner: string }>("SELECT owner FROM job_leases WHERE job_id = $1", [jobId]);
    expect(lease?.owner).toBe("replica-b");
    // The watcher on b was told of round 0 finishing, which only replica a drove (through Redis), and, after the
    // takeover, of every later round and the job's end from b itself.
    await ended;
    const finished = watcher.changes.filter((change) => change.what === "round-finished").map((change) => change.round);
    expect(finished).toEqual([0, 1, 2, ROUNDS]);

    // Every intent confirmed exactly once: acceptJob, one anchor per round, finalizeJob.
    const intents = await until(
      "the outbox to settle",
      async () => {
        const rows = await sql<{ kind: string; status: string }>("SELECT kind, status FROM chain_intents ORDER BY id");
        return rows.length === ROUNDS + 2 && rows.every((row) => row.status === "confirmed") ? rows : undefined;
      },
      60_000,
    );
    expect(intents.map((row) => row.kind)).toEqual([
      "acceptJob",
      "anchorRound",
      "anchorRound",
      "anchorRound",
      "finalizeJob",
    ]);
    const job = await ok<{ status: string; modelCid: string }>(b.url, "GET", `/jobs/${jobId}`);
    expect(job.status).toBe("completed");

    // The auditor's check against the chain: every round, leaf, signature, blob and payout agrees.
    const token = await signInAs(b.url, new Wallet(RESEARCHER_KEY), chain.chainId);
    const ledger = await fetchLedger(b.url, jobId);
    const report = await verifyLedger({
      ledger,
      provider: chain.provider(),
      trainingJobs: deployment.contracts.TrainingJobs,
      fetchBlob: coordinatorBlobFetcher(b.url, jobId, token),
    });
    expect(report.disagreements).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.checked).toMatchObject({ rounds: ROUNDS, leaves: 3 * ROUNDS, signatures: 3 * ROUNDS, payouts: 3 });

    // And the final model is FedAvg of exactly these updates, computed here in float64: each counted once.
    const weights = async (cid: string) =>
      Float64Array.from(bytesToWeights((await downloadModel(b.url, cid, token)).bytes));
    const expected = await weights(initialCid);
    for (const seed of [1, 10, 20]) {
      for (let i = 0; i < PARAMS; i++) {
        let sum = 0;
        for (let t = 0; t < 3; t++) sum += (delta(seed + t)[i] as number) * (EXAMPLES[t] as number);
        expected[i] = (expected[i] as number) + sum / (EXAMPLES[0] + EXAMPLES[1] + EXAMPLES[2]);
      }
    }
    const final = await weights(job.modelCid);
    for (let i = 0; i < PARAMS; i++) expect(final[i]).toBeCloseTo(expected[i] as number, 5);
  }, 120_000);
});
