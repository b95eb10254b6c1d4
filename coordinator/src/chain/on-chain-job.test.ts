import { LocalChain } from "@tributary/contracts/local-chain";
import {
  buildRoundTree,
  type DatasetId,
  type JobId,
  type JobLedger,
  type PayoutProof,
  type TrainInstruction,
} from "@tributary/protocol";
import type { Wallet } from "ethers";
import { DataSource } from "typeorm";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { DATABASES, type TestDatabase } from "../../test-support/databases.js";
import { ok, request, until } from "../../test-support/rest.js";
import { ScriptedTrainer } from "../../test-support/scripted-trainer.js";
import { type Coordinator, type CreateCoordinatorOptions, createCoordinator } from "../create-coordinator.js";
import { ChainIntentEntity } from "./chain-intent.entity.js";

const PARAMS = 10;
const EXAMPLES = [100, 300, 600];
const REWARD = 1_000n * 10n ** 18n;

let chain: LocalChain;
beforeAll(async () => {
  chain = await LocalChain.start();
});
afterAll(async () => {
  await chain?.stop();
});

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const step of cleanup.reverse()) await step();
  cleanup = [];
});

function delta(seed: number): Float32Array {
  return Float32Array.from({ length: PARAMS }, (_, i) => Math.sin(seed * 7 + i) / 10);
}

async function start(db: TestDatabase, sender: Wallet, options: CreateCoordinatorOptions = {}): Promise<Coordinator> {
  const deployment = chain.system.deployment;
  const coordinator = await createCoordinator(
    {
      port: 0,
      dataDir: db.dataDir,
      ...db.config,
      chainId: chain.chainId,
      chain: {
        rpcUrl: chain.url,
        trainingJobs: deployment.contracts.TrainingJobs,
        datasetRegistry: deployment.contracts.DatasetRegistry,
        startBlock: deployment.startBlock,
        confirmations: 0,
        senderPrivateKey: sender.privateKey,
        pollIntervalMs: 50,
        maxBackoffMs: 200,
      },
    },
    { ...(process.env.TEST_LOGS ? {} : { logger: false }), ...options },
  );
  cleanup.push(() => coordinator.close());
  return coordinator;
}

/** Three data owners, each enrolling its own dataset on DatasetRegistry, and a job created on chain for them. */
async function onChainJob(coordinator: Coordinator, sender: Wallet, rounds: number) {
  const owners = await Promise.all(EXAMPLES.map(() => chain.fundedWallet()));
  const datasets: DatasetId[] = [];
  for (const owner of owners)
    datasets.push(String(await chain.registerDataset(owner.connect(chain.provider()))) as DatasetId);
  const { modelSpecHash } = await ok<{ modelSpecHash: string }>(coordinator.url, "POST", "/chain/job-specs", {
    name: "on chain",
    model: { inputShape: [4], layers: [{ type: "dense", units: 2 }], loss: "meanSquaredError" },
    datasetIds: datasets,
    rounds,
    learningRate: 0.1,
    clients: { min: 3, max: 3 },
    roundTimeoutS: 120,
  });
  const jobId = String(
    await chain.createJob({
      coordinator: sender.address,
      rounds,
      modelSpecHash,
      datasetIds: datasets.map(BigInt),
      reward: REWARD,
    }),
  ) as JobId;
  return { owners, datasets, jobId };
}

async function connectTrainers(coordinator: Coordinator, owners: Wallet[], datasets: DatasetId[], jobId: JobId) {
  // Adopting the job needs its datasets indexed, so the owners' logins find them too.
  await until("the on-chain job to be adopted", async () =>
    (await request(coordinator.url, "GET", `/jobs/${jobId}`)).status === 200 ? true : undefined,
  );
  const trainers = await Promise.all(
    owners.map((owner, index) => ScriptedTrainer.connect(coordinator.url, owner, datasets[index] as DatasetId)),
  );
  cleanup.push(async () => {
    for (const trainer of trainers) trainer.close();
  });
  for (const trainer of trainers) expect((await trainer.join(jobId)).ok).toBe(true);
  return trainers;
}

/** Every trainer answers the round it is sent, trainer i with EXAMPLES[i] examples. */
async function trainRound(trainers: ScriptedTrainer[], seed: number): Promise<void> {
  const instructions = await Promise.all(trainers.map((trainer) => trainer.next()));
  for (const [index, trainer] of trainers.entries()) {
    const ack = await trainer.submit(
      instructions[index]?.instruction as TrainInstruction,
      delta(seed + index),
      EXAMPLES[index] as number,
    );
    expect(ack.ok).toBe(true);
  }
}

async function evaluate(trainers: ScriptedTrainer[], lastRound: number): Promise<void> {
  for (const trainer of trainers) {
    let evaluation = await trainer.next();
    // A restarted coordinator may resend a round the trainer already answered (same nonce): it is a duplicate.
    while (evaluation.kind === "train" && evaluation.instruction.round <= lastRound) evaluation = await trainer.next();
    expect(evaluation.kind).toBe("evaluate");
    await trainer.evaluate(evaluation.instruction, { evalAccuracy: 0.5 }, 10);
  }
}

async function anchorEvents(jobId: JobId, round: number) {
  const { jobs } = chain.system.contracts;
  return jobs.queryFilter(jobs.filters.RoundAnchored(BigInt(jobId), BigInt(round)));
}

async function intentsSettled(coordinator: Coordinator, count: number) {
  const db = coordinator.app.get(DataSource);
  return until(
    `${count} chain intent(s) to be confirmed`,
    async () => {
      const rows = await db.getRepository(ChainIntentEntity).find({ order: { id: "ASC" } });
      return rows.length === count && rows.every((row) => row.status === "confirmed") ? rows : undefined;
    },
    60_000,
  );
}

describe.each(DATABASES)("an on-chain job on $name", (database) => {
  it("is picked up from the chain, run, anchored round by round, paid out in proportion to the scores and claimed to the wei", async () => {
    const db = await database.setup();
    cleanup.push(() => db.cleanup());
    const sender = await chain.fundedWallet();
    const coordinator = await start(db, sender);
    const { owners, datasets, jobId } = await onChainJob(coordinator, sender, 2);
    const trainers = await connectTrainers(coordinator, owners, datasets, jobId);
    await trainRound(trainers, 1);
    await trainRound(trainers, 10);
    await evaluate(trainers, 1);
    await intentsSettled(coordinator, 3); // two anchors and the finalisation

    const ledger = await ok<JobLedger>(coordinator.url, "GET", `/ledger/jobs/${jobId}`);
    const { jobs, token } = chain.system.contracts;
    expect(ledger.rounds.map((round) => round.round)).toEqual([1, 2]);
    for (const round of ledger.rounds) {
      // The root on chain is the one an auditor recomputes from the published leaves.
      const recomputed = buildRoundTree(
        round.leaves.map((leaf) => ({
          trainer: leaf.trainer,
          updateHash: leaf.updateHash,
          numExamples: BigInt(leaf.numExamples),
          score: BigInt(leaf.score),
        })),
      ).root;
      expect((await jobs.getRound(BigInt(jobId), BigInt(round.round))).updatesRoot).toBe(recomputed);
      expect(await anchorEvents(jobId, round.round)).toHaveLength(1);
      // Scored by examples: each trainer's share of the round is its share of the examples.
      for (const [index, owner] of owners.entries()) {
        const leaf = round.leaves.find((candidate) => candidate.trainer === owner.address.toLowerCase());
        const share = Number(BigInt(leaf?.score ?? "0")) / 1e18;
        expect(share).toBeCloseTo((EXAMPLES[index] as number) / 1000, 12);
      }
    }

    const onChain = await jobs.getJob(BigInt(jobId));
    expect(onChain.payoutRoot).toBe(ledger.payout?.payoutRoot);
    const before = await Promise.all(owners.map((owner) => token.balanceOf(owner.address)));
    let claimed = 0n;
    for (const [index, owner] of owners.entries()) {
      const proof = await ok<PayoutProof>(coordinator.url, "GET", `/ledger/jobs/${jobId}/proof/${owner.address}`);
      const amount = BigInt(proof.amount);
      // amount = payout total · examples share, up to the float64 rounding of the round shares (~1e-16).
      const expected = (onChain.payoutTotal * BigInt(EXAMPLES[index] as number)) / 1000n;
      const error = amount > expected ? amount - expected : expected - amount;
      expect(error).toBeLessThan(onChain.payoutTotal / 10n ** 15n);
      await (
        await jobs.connect(owner.connect(chain.provider())).claim(BigInt(jobId), owner.address, amount, proof.proof)
      ).wait();
      expect((await token.balanceOf(owner.address)) - (before[index] as bigint)).toBe(amount);
      claimed += amount;
      // A second claim fails.
      await expect(
        jobs.connect(owner.connect(chain.provider())).claim(BigInt(jobId), owner.address, amount, proof.proof),
      ).rejects.toThrow(/TrainingJobsAlreadyClaimed|reverted/);
    }
    const researcherBefore = await token.balanceOf(chain.deployer.address);
    await (await jobs.connect(chain.deployer).reclaim(BigInt(jobId))).wait();
    const refund = (await token.balanceOf(chain.deployer.address)) - researcherBefore;
    const settled = await jobs.getJob(BigInt(jobId));
    expect(REWARD - settled.fee).toBe(claimed + refund);
    expect(refund).toBe(BigInt(ledger.payout?.refund ?? "-1"));
  });
});

describe("anchoring through failures", () => {
  const database = DATABASES[0] as (typeof DATABASES)[number];

  it("with the RPC endpoint down during a round, anchors the round exactly once when it comes back", async () => {
    const db = await database.setup();
    cleanup.push(() => db.cleanup());
    const sender = await chain.fundedWallet();
    const coordinator = await start(db, sender);
    const { owners, datasets, jobId } = await onChainJob(coordinator, sender, 2);
    const trainers = await connectTrainers(coordinator, owners, datasets, jobId);
    await chain.stopRpc();
    try {
      await trainRound(trainers, 1);
      const dataSource = coordinator.app.get(DataSource);
      await until("the round's anchor to be queued", async () =>
        (await dataSource.getRepository(ChainIntentEntity).countBy({ kind: "anchorRound" })) === 1 ? true : undefined,
      );
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(await dataSource.getRepository(ChainIntentEntity).countBy({ status: "confirmed" })).toBe(0);
    } finally {
      await chain.startRpc();
    }
    await trainRound(trainers, 10);
    await evaluate(trainers, 1);
    await intentsSettled(coordinator, 3);
    expect(await anchorEvents(jobId, 1)).toHaveLength(1);
    expect(await anchorEvents(jobId, 2)).toHaveLength(1);
  });

  it("killed after broadcasting a round's anchor and before recording it, anchors it exactly once after restart", async () => {
    const db = await database.setup();
    cleanup.push(() => db.cleanup());
    const sender = await chain.fundedWallet();
    let killed = false;
    const doomed = await start(db, sender, {
      chainSenderHooks: {
        afterBroadcast() {
          killed = true;
          throw new Error("killed after broadcasting");
        },
      },
    });
    const { owners, datasets, jobId } = await onChainJob(doomed, sender, 2);
    let trainers = await connectTrainers(doomed, owners, datasets, jobId);
    await trainRound(trainers, 1);
    await until("the sender to be killed", async () => (killed ? true : undefined));
    for (const trainer of trainers) trainer.close();
    await (cleanup.pop() as () => Promise<void>)(); // trainers
    await (cleanup.pop() as () => Promise<void>)(); // the coordinator

    const restarted = await start(db, sender);
    trainers = await connectTrainers(restarted, owners, datasets, jobId);
    await trainRound(trainers, 10);
    await evaluate(trainers, 1);
    const intents = await intentsSettled(restarted, 3);
    expect(intents[0]?.txs).toHaveLength(1);
    expect(await anchorEvents(jobId, 1)).toHaveLength(1);
    expect((await anchorEvents(jobId, 1))[0]?.transactionHash).toBe(intents[0]?.minedTxHash);
    expect(await anchorEvents(jobId, 2)).toHaveLength(1);
  });
});
