import { LocalChain } from "@tributary/contracts/local-chain";
import {
  buildRoundTree,
  type DatasetId,
  type JobId,
  type JobLedger,
  type PayoutProof,
  type StrategySpec,
  type TrainInstruction,
} from "@tributary/protocol";
import type { Wallet } from "ethers";
import { DataSource } from "typeorm";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { DATABASES, type TestDatabase } from "../../test-support/databases.js";
import {
  connectTrainers,
  createOnChainJob,
  delta,
  EXAMPLES,
  evaluate,
  intentsSettled,
  REWARD,
  startChainCoordinator,
  trainRound,
} from "../../test-support/on-chain-job.js";
import { ok, until } from "../../test-support/rest.js";
import type { CoordinatorConfigInput } from "../config/coordinator-config.js";
import type { Coordinator, CreateCoordinatorOptions } from "../create-coordinator.js";
import { ChainIntentEntity } from "./chain-intent.entity.js";
import { ChainJobEntity } from "./chain-job.entity.js";

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

async function start(
  db: TestDatabase,
  sender: Wallet,
  options: CreateCoordinatorOptions = {},
  overrides: Partial<CoordinatorConfigInput> = {},
): Promise<Coordinator> {
  const coordinator = await startChainCoordinator(chain, db, sender, options, overrides);
  cleanup.push(() => coordinator.close());
  return coordinator;
}

const onChainJob = (coordinator: Coordinator, sender: Wallet, rounds: number, strategy?: StrategySpec) =>
  createOnChainJob(chain, coordinator, sender, rounds, strategy);

async function connect(coordinator: Coordinator, owners: Wallet[], datasets: DatasetId[], jobId: JobId) {
  const trainers = await connectTrainers(coordinator, owners, datasets, jobId);
  cleanup.push(async () => {
    for (const trainer of trainers) trainer.close();
  });
  return trainers;
}

async function anchorEvents(jobId: JobId, round: number) {
  const { jobs } = chain.system.contracts;
  return jobs.queryFilter(jobs.filters.RoundAnchored(BigInt(jobId), BigInt(round)));
}

describe.each(DATABASES)("an on-chain job on $name", (database) => {
  it("is picked up from the chain, run, anchored round by round, paid out (floors, then by score) and claimed to the wei", async () => {
    const db = await database.setup();
    cleanup.push(() => db.cleanup());
    const sender = await chain.fundedWallet();
    const coordinator = await start(db, sender);
    const { owners, datasets, jobId } = await onChainJob(coordinator, sender, 2);
    const trainers = await connect(coordinator, owners, datasets, jobId);
    // Datasets enrolled on DatasetRegistry are known by id, with their on-chain owner and commitment.
    const enrolled = await ok<{ owner: string; commitment: string; registry: string }>(
      coordinator.url,
      "GET",
      `/datasets/${datasets[0]}`,
    );
    const registered = await chain.system.contracts.datasets.getDataset(BigInt(datasets[0] as string));
    expect(enrolled).toMatchObject({
      owner: owners[0]?.address.toLowerCase(),
      commitment: registered.commitment,
      registry: "DatasetRegistry",
    });
    await trainRound(trainers, 1);
    await trainRound(trainers, 10);
    await evaluate(trainers, 1);
    await intentsSettled(coordinator, 4); // the acceptance, two anchors and the finalisation

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
      // amount = its floor (pricePerRound 5 TRIB × 2 rounds) + the rest of the payout total (after the three floors)
      // · its examples share, up to the float64 rounding of the round shares (~1e-16).
      const floor = 2n * 5n * 10n ** 18n;
      const expected = floor + ((onChain.payoutTotal - 3n * floor) * BigInt(EXAMPLES[index] as number)) / 1000n;
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

  it("accepts the job on chain before round 0: the researcher's cancelJob reverts until the job is stale, then stops the job", async () => {
    const db = await database.setup();
    cleanup.push(() => db.cleanup());
    const sender = await chain.fundedWallet();
    const coordinator = await start(db, sender);
    const { owners, datasets, jobId } = await onChainJob(coordinator, sender, 2);
    const trainers = await connect(coordinator, owners, datasets, jobId);
    // Round 0's instructions arrive only after the acceptance is on chain.
    const instructions = await Promise.all(trainers.map((trainer) => trainer.next()));
    const { jobs } = chain.system.contracts;
    const accepted = await jobs.queryFilter(jobs.filters.JobAccepted(BigInt(jobId)));
    expect(accepted).toHaveLength(1);
    const job = await jobs.getJob(BigInt(jobId));
    expect(job.accepted).toBe(true);
    // The attack of item 10: the researcher front-runs the first anchor after trainers did round 1.
    const revert = await jobs
      .connect(chain.deployer)
      .cancelJob.staticCall(BigInt(jobId))
      .then(
        () => "no revert",
        (error: { data?: string }) => jobs.interface.parseError(error.data ?? "0x")?.name,
      );
    expect(revert).toBe("TrainingJobsNotCancellable");
    // The indexer recorded the acceptance and when the job goes stale (acceptance block time + 14 days).
    const staleAt = (accepted[0] as { args: { staleAt: bigint } }).args.staleAt;
    const block = await chain.provider().getBlock((accepted[0] as { blockNumber: number }).blockNumber);
    expect(staleAt).toBe(BigInt(block?.timestamp ?? 0) + 14n * 24n * 3600n);
    const chainJob = await until("the acceptance to be indexed", async () => {
      const row = await coordinator.app.get(DataSource).getRepository(ChainJobEntity).findOneBy({ jobId });
      return row?.acceptedBlock === null ? undefined : row;
    });
    expect(chainJob?.staleAt).toBe(staleAt.toString());
    // Once the job is stale, the researcher may cancel; the coordinator stops the job.
    await chain.rpc("evm_increaseTime", [14 * 24 * 3600 + 1]);
    await chain.rpc("evm_mine");
    await (await jobs.connect(chain.deployer).cancelJob(BigInt(jobId))).wait();
    const cancelled = await until("the job to be cancelled", async () => {
      const job = await ok<{ status: string; error: string | null }>(coordinator.url, "GET", `/jobs/${jobId}`);
      return job.status === "cancelled" ? job : undefined;
    });
    expect(cancelled.error).toMatch(/cancelled on chain \(refund 1000000000000000000000\)/);
    // Round 0 had been sent before the cancellation: its answers are refused, nothing is anchored.
    const ack = await trainers[0]?.submit(instructions[0]?.instruction as TrainInstruction, delta(1), 100);
    expect(ack?.ok).toBe(false);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const intents = await coordinator.app.get(DataSource).getRepository(ChainIntentEntity).find();
    expect(intents.map((intent) => intent.kind)).toEqual(["acceptJob"]);
  });

  it("killed after broadcasting acceptJob and before recording it, accepts exactly once after restart and sends round 0 only then", async () => {
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
    const { owners, datasets, jobId } = await onChainJob(doomed, sender, 1);
    let trainers = await connect(doomed, owners, datasets, jobId);
    await until("the sender to be killed", async () => (killed ? true : undefined));
    // The acceptance was broadcast but the coordinator never learnt it was confirmed: no instruction goes out.
    await expect(trainers[0]?.next(1_000)).rejects.toThrow();
    const waiting = await ok<{ status: string; statusMessage: string | null }>(doomed.url, "GET", `/jobs/${jobId}`);
    expect(waiting.status).toBe("running");
    expect(waiting.statusMessage).toMatch(/waiting for TrainingJobs\.acceptJob\(\d+\) to be confirmed on chain/);
    for (const trainer of trainers) trainer.close();
    await (cleanup.pop() as () => Promise<void>)(); // trainers
    await (cleanup.pop() as () => Promise<void>)(); // the coordinator

    const restarted = await start(db, sender);
    trainers = await connect(restarted, owners, datasets, jobId);
    await trainRound(trainers, 1);
    await evaluate(trainers, 0);
    const intents = await intentsSettled(restarted, 3);
    expect(intents[0]?.kind).toBe("acceptJob");
    expect(intents[0]?.txs).toHaveLength(1);
    const { jobs } = chain.system.contracts;
    const accepted = await jobs.queryFilter(jobs.filters.JobAccepted(BigInt(jobId)));
    expect(accepted).toHaveLength(1);
    expect(accepted[0]?.transactionHash).toBe(intents[0]?.minedTxHash);
  });

  it("item 16: a job that cannot start fails saying why, and its researcher refunds itself through cancelJob once it is stale", async () => {
    const db = await database.setup();
    cleanup.push(() => db.cleanup());
    const sender = await chain.fundedWallet();
    const coordinator = await start(db, sender, {}, { jobStartTimeoutS: 3 });
    // Development with a chain was asked for explicitly (the scripted trainers use the TEE simulator): loud.
    const health = await ok<{ mode: string; warning?: string; chain?: object }>(coordinator.url, "GET", "/health");
    expect(health.mode).toBe("development");
    expect(health.warning).toMatch(/^DEVELOPMENT MODE WITH A CHAIN/);
    // What a researcher's `job create` checks and names: the contract it follows, and the sender key's address.
    expect(health.chain).toEqual({
      chainId: chain.chainId,
      trainingJobs: chain.system.deployment.contracts.TrainingJobs.toLowerCase(),
      coordinator: sender.address.toLowerCase(),
      attestationRegistry: chain.system.deployment.contracts.AttestationRegistry.toLowerCase(),
    });
    const { owners, datasets, jobId } = await onChainJob(coordinator, sender, 2);
    // clients.min is 3; only two of the three owners ever log in.
    const trainers = await connect(coordinator, owners.slice(0, 2), datasets.slice(0, 2), jobId);
    expect(trainers).toHaveLength(2);
    const failed = await until("the job to fail", async () => {
      const job = await ok<{ status: string; error: string | null }>(coordinator.url, "GET", `/jobs/${jobId}`);
      return job.status === "failed" ? job : undefined;
    });
    expect(failed.error).toMatch(
      new RegExp(
        `^round 0 could not start after waiting 3 s \\(jobStartTimeoutS\\): 2 of the 3 admitted trainers needed \\(clients\\.min\\) are online for datasets .*; on chain: no more anchors and no finalizeJob will be sent, so the job goes stale after its staleJobTimeout without activity \\(no anchor yet: stale from \\d{4}-.*Z\\), and its researcher then refunds the escrow with TrainingJobs\\.cancelJob\\(${jobId}\\)$`,
      ),
    );
    const { jobs } = chain.system.contracts;
    // The coordinator accepted the job, so the researcher waits for the stale timeout, then takes the escrow back.
    await expect(jobs.connect(chain.deployer).cancelJob.staticCall(BigInt(jobId))).rejects.toThrow();
    await chain.rpc("evm_increaseTime", [14 * 24 * 3600 + 1]);
    await chain.rpc("evm_mine");
    const before = await chain.tokenBalance(chain.deployer.address);
    await (await jobs.connect(chain.deployer).cancelJob(BigInt(jobId))).wait();
    expect((await chain.tokenBalance(chain.deployer.address)) - before).toBe(REWARD);
    // Nothing was anchored; the outbox holds only the acceptance.
    const intents = await coordinator.app.get(DataSource).getRepository(ChainIntentEntity).find();
    expect(intents.map((intent) => [intent.kind, intent.status])).toEqual([["acceptJob", "confirmed"]]);
  });

  it("with the RPC endpoint down during a round, anchors the round exactly once when it comes back (Krum: unselected updates score 0)", async () => {
    const db = await database.setup();
    cleanup.push(() => db.cleanup());
    const sender = await chain.fundedWallet();
    const coordinator = await start(db, sender);
    const { owners, datasets, jobId } = await onChainJob(coordinator, sender, 2, { name: "krum", f: 0 });
    const trainers = await connect(coordinator, owners, datasets, jobId);
    // Round 0 opens once the job's acceptance is confirmed; the outage comes after.
    await until("the job's acceptance to be confirmed", async () =>
      (await coordinator.app.get(DataSource).getRepository(ChainIntentEntity).countBy({ status: "confirmed" })) === 1
        ? true
        : undefined,
    );
    await chain.stopRpc();
    try {
      await trainRound(trainers, 1);
      const dataSource = coordinator.app.get(DataSource);
      await until("the round's anchor to be queued", async () =>
        (await dataSource.getRepository(ChainIntentEntity).countBy({ kind: "anchorRound" })) === 1 ? true : undefined,
      );
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(
        await dataSource.getRepository(ChainIntentEntity).countBy({ kind: "anchorRound", status: "confirmed" }),
      ).toBe(0);
    } finally {
      await chain.startRpc();
    }
    await trainRound(trainers, 10);
    await evaluate(trainers, 1);
    await intentsSettled(coordinator, 4);
    expect(await anchorEvents(jobId, 1)).toHaveLength(1);
    expect(await anchorEvents(jobId, 2)).toHaveLength(1);

    // Krum with f = 0 keeps one update of the closest pair (with three, its two members tie); the rest score 0.
    const ledger = await ok<JobLedger>(coordinator.url, "GET", `/ledger/jobs/${jobId}`);
    for (const [index, seed] of [1, 10].entries()) {
      const deltas = owners.map((_, k) => delta(seed + k));
      const distance = (a: Float32Array, b: Float32Array) =>
        a.reduce((sum, x, i) => sum + (x - (b[i] as number)) ** 2, 0);
      const nearest = deltas.map((d, k) =>
        Math.min(...deltas.filter((_, other) => other !== k).map((e) => distance(d, e))),
      );
      const closest = owners
        .filter((_, k) => nearest[k] === Math.min(...nearest))
        .map((owner) => owner.address.toLowerCase());
      const leaves = ledger.rounds[index]?.leaves ?? [];
      const kept = leaves.filter((leaf) => !leaf.rejected);
      expect(kept).toHaveLength(1);
      expect(closest).toContain(kept[0]?.trainer);
      expect(kept[0]?.score).toBe(String(10n ** 18n));
      expect(leaves.filter((leaf) => leaf.rejected).map((leaf) => leaf.score)).toEqual(["0", "0"]);
    }
  });

  it("killed after broadcasting a round's anchor and before recording it, anchors it exactly once after restart", async () => {
    const db = await database.setup();
    cleanup.push(() => db.cleanup());
    const sender = await chain.fundedWallet();
    let killed = false;
    let broadcasts = 0;
    const doomed = await start(db, sender, {
      chainSenderHooks: {
        afterBroadcast() {
          // The first broadcast is the job's acceptance, the second round 1's anchor.
          if (++broadcasts < 2) return;
          killed = true;
          throw new Error("killed after broadcasting");
        },
      },
    });
    const { owners, datasets, jobId } = await onChainJob(doomed, sender, 2);
    let trainers = await connect(doomed, owners, datasets, jobId);
    await trainRound(trainers, 1);
    await until("the sender to be killed", async () => (killed ? true : undefined));
    for (const trainer of trainers) trainer.close();
    await (cleanup.pop() as () => Promise<void>)(); // trainers
    await (cleanup.pop() as () => Promise<void>)(); // the coordinator

    const restarted = await start(db, sender);
    trainers = await connect(restarted, owners, datasets, jobId);
    await trainRound(trainers, 10);
    await evaluate(trainers, 1);
    const intents = await intentsSettled(restarted, 4);
    expect(intents[1]?.kind).toBe("anchorRound");
    expect(intents[1]?.txs).toHaveLength(1);
    expect(await anchorEvents(jobId, 1)).toHaveLength(1);
    expect((await anchorEvents(jobId, 1))[0]?.transactionHash).toBe(intents[1]?.minedTxHash);
    expect(await anchorEvents(jobId, 2)).toHaveLength(1);
  });
});
