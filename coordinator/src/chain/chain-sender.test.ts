import { createHash } from "node:crypto";
import { trainingJobsAbi } from "@tributary/contracts";
import { LocalChain } from "@tributary/contracts/local-chain";
import { Contract, type Wallet } from "ethers";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { DATABASES, type TestDatabase } from "../../test-support/databases.js";
import { type OpenDatabase, openDatabase } from "../../test-support/open-database.js";
import { until } from "../../test-support/rest.js";
import type { ChainConfig } from "../config/coordinator-config.js";
import { senderOptions } from "./chain.module.js";
import { ChainClient } from "./chain-client.js";
import { ChainIntentConflictError } from "./chain-errors.js";
import { ChainIntentEntity } from "./chain-intent.entity.js";
import { ChainIntentRepository, enqueueChainIntent } from "./chain-intent.repository.js";
import { ChainSender, type ChainSenderHooks } from "./chain-sender.js";

const GWEI = 10n ** 9n;
const hash = (text: string) => `0x${createHash("sha256").update(text).digest("hex")}`;

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

/** The chain's own record of anchors, read in process (not through the coordinator's RPC path). */
async function anchorEvents(jobId: bigint, round: number) {
  const jobs = chain.system.contracts.jobs;
  return jobs.queryFilter(jobs.filters.RoundAnchored(jobId, round));
}

async function nonceOf(address: string): Promise<number> {
  return Number(await chain.rpc<string>("eth_getTransactionCount", [address, "latest"]));
}

describe.each(DATABASES)("chain outbox and sender on $name", (database) => {
  let db: TestDatabase;
  let open: OpenDatabase;
  beforeAll(async () => {
    db = await database.setup();
    open = await openDatabase(db);
  });
  afterAll(async () => {
    await open?.close();
    await db?.cleanup();
  });

  function config(wallet: Wallet): ChainConfig {
    return {
      rpcUrl: chain.url,
      trainingJobs: chain.system.deployment.contracts.TrainingJobs,
      datasetRegistry: chain.system.deployment.contracts.DatasetRegistry,
      startBlock: chain.system.deployment.startBlock,
      confirmations: 1,
      senderPrivateKey: wallet.privateKey,
      pollIntervalMs: 40,
      maxBlockRange: 1_000,
      bumpAfterMs: 60_000,
      feeBumpPercent: 25,
      maxBackoffMs: 200,
    };
  }

  function sender(wallet: Wallet, hooks: ChainSenderHooks = {}, overrides: Partial<ChainConfig> = {}) {
    const chainConfig = { ...config(wallet), ...overrides };
    const client = new ChainClient(chainConfig, 31_337);
    const instance = new ChainSender(
      new ChainIntentRepository(open.dataSource),
      client,
      senderOptions(chainConfig),
      hooks,
    );
    cleanup.push(async () => {
      await instance.stop();
      client.destroy();
    });
    return instance;
  }

  async function enqueueAnchor(jobId: bigint, round: number, tag = "") {
    return open.dataSource.transaction((manager) =>
      enqueueChainIntent(manager, {
        kind: "anchorRound",
        args: {
          jobId: jobId.toString() as never,
          round,
          updatesRoot: hash(`updates ${jobId} ${round}${tag}`) as never,
          modelHash: hash(`model ${jobId} ${round}${tag}`) as never,
        },
      }),
    );
  }

  const intent = (id: string) => open.dataSource.getRepository(ChainIntentEntity).findOneByOrFail({ id });
  const settled = (id: string) =>
    until(
      `intent ${id} to settle`,
      async () => {
        const row = await intent(id);
        return row.status === "confirmed" || row.status === "failed" ? row : undefined;
      },
      20_000,
    );

  it("commits an intent only with its transaction, once per effect, and refuses other values for the same round", async () => {
    const rolledBack = open.dataSource.transaction(async (manager) => {
      await enqueueChainIntent(manager, {
        kind: "finalizeJob",
        args: { jobId: "77" as never, payoutRoot: hash("root") as never, payoutTotal: "5" },
      });
      throw new Error("the state change failed");
    });
    await expect(rolledBack).rejects.toThrow("the state change failed");
    expect(await open.dataSource.getRepository(ChainIntentEntity).countBy({ dedupeKey: "finalizeJob:77" })).toBe(0);

    const first = await enqueueAnchor(900n, 1);
    const again = await enqueueAnchor(900n, 1);
    expect(first.created).toBe(true);
    expect(again).toEqual({ id: first.id, created: false });
    await expect(enqueueAnchor(900n, 1, "other")).rejects.toBeInstanceOf(ChainIntentConflictError);
    await open.dataSource.getRepository(ChainIntentEntity).delete({ id: first.id });
  });

  it("anchors exactly once through an RPC outage before sending and another one during the broadcast", async () => {
    const wallet = await chain.fundedWallet();
    const jobId = await chain.createJob({ coordinator: wallet.address, rounds: 3 });
    await chain.stopRpc();
    const first = await enqueueAnchor(jobId, 1);
    let cut = false;
    const instance = sender(wallet, {
      async beforeBroadcast() {
        if (cut || (await nonceOf(wallet.address)) === 0) return;
        // Second intent: the node goes away between recording the signed transaction and broadcasting it.
        cut = true;
        await chain.stopRpc();
        setTimeout(() => void chain.startRpc(), 600);
      },
    });
    instance.start();
    const waiting = await until("the outage to be recorded", async () => {
      const row = await intent(first.id);
      return row.lastError !== null ? row : undefined;
    });
    expect(waiting.status).toBe("pending");
    expect(waiting.lastError).toMatch(/ECONNREFUSED|connect/i);
    expect(await anchorEvents(jobId, 1)).toHaveLength(0);
    await chain.startRpc();
    const anchored = await settled(first.id);
    expect(anchored.status).toBe("confirmed");

    const second = await enqueueAnchor(jobId, 2);
    instance.poke();
    const anchored2 = await settled(second.id);
    expect(cut).toBe(true);
    expect(anchored2.status).toBe("confirmed");
    // The same signed bytes were rebroadcast after the outage: one transaction, no second nonce.
    expect(anchored2.txs).toHaveLength(1);
    expect(anchored2.attempts).toBeGreaterThanOrEqual(2);

    for (const [round, row] of [
      [1, anchored],
      [2, anchored2],
    ] as const) {
      const events = await anchorEvents(jobId, round);
      expect(events).toHaveLength(1);
      expect(events[0]?.transactionHash).toBe(row.minedTxHash);
      expect(events[0]?.args.updatesRoot).toBe(hash(`updates ${jobId} ${round}`));
    }
    expect(await nonceOf(wallet.address)).toBe(2);
  });

  it("a sender killed after broadcasting and before recording it: the restarted one anchors nothing twice", async () => {
    const wallet = await chain.fundedWallet();
    const jobId = await chain.createJob({ coordinator: wallet.address, rounds: 2 });
    const queued = await enqueueAnchor(jobId, 1);
    const doomed = sender(wallet, {
      afterBroadcast() {
        throw new Error("killed");
      },
    });
    doomed.start();
    await until("the sender to die", async () => doomed.crashed);
    expect((await intent(queued.id)).lastSentAt).toBeNull();
    await open.close();
    open = await openDatabase(db);

    const restarted = sender(wallet);
    restarted.start();
    const row = await settled(queued.id);
    expect(row.status).toBe("confirmed");
    expect(row.txs).toHaveLength(1);
    const events = await anchorEvents(jobId, 1);
    expect(events).toHaveLength(1);
    expect(events[0]?.transactionHash).toBe(row.minedTxHash);
    expect(await nonceOf(wallet.address)).toBe(1);
  });

  it("killed while its transaction is still in the mempool: the restarted sender waits for it instead of resending", async () => {
    const wallet = await chain.fundedWallet();
    const jobId = await chain.createJob({ coordinator: wallet.address, rounds: 2 });
    const queued = await enqueueAnchor(jobId, 1);
    await chain.rpc("evm_setAutomine", [false]);
    cleanup.push(() => chain.rpc("evm_setAutomine", [true]));
    const doomed = sender(wallet, {
      afterBroadcast() {
        throw new Error("killed");
      },
    });
    doomed.start();
    await until("the sender to die", async () => doomed.crashed);
    await open.close();
    open = await openDatabase(db);

    const restarted = sender(wallet);
    restarted.start();
    // Several ticks of the restarted sender while the first transaction is pending.
    await new Promise((resolve) => setTimeout(resolve, 400));
    const pending = await chain.rpc<{ hash: string }[]>("eth_pendingTransactions").catch(() => undefined);
    if (pending !== undefined) expect(pending.filter((tx) => tx.hash !== undefined)).toHaveLength(1);
    await chain.rpc("evm_mine");
    const row = await settled(queued.id);
    expect(row.status).toBe("confirmed");
    expect(row.txs).toHaveLength(1);
    expect(await anchorEvents(jobId, 1)).toHaveLength(1);
    expect(await nonceOf(wallet.address)).toBe(1);
  });

  it("checks the chain first: an anchor already there is confirmed without a transaction; a reverting call fails with its decoded error", async () => {
    const wallet = await chain.fundedWallet();
    const jobId = await chain.createJob({ coordinator: wallet.address, rounds: 3 });
    // Round 1 anchored by a transaction the outbox never recorded (a lost record, another replica).
    const direct = new Contract(
      chain.system.deployment.contracts.TrainingJobs,
      trainingJobsAbi,
      wallet.connect(chain.provider()),
    );
    await (
      await (direct.anchorRound as (...args: unknown[]) => Promise<{ wait(): Promise<unknown> }>)(
        jobId,
        1n,
        hash(`updates ${jobId} 1`),
        hash(`model ${jobId} 1`),
      )
    ).wait();
    expect(await nonceOf(wallet.address)).toBe(1);
    const known = await enqueueAnchor(jobId, 1);
    const outOfOrder = await enqueueAnchor(jobId, 3);
    sender(wallet).start();
    const done = await settled(known.id);
    expect(done.status).toBe("confirmed");
    expect(done.resolution).toBe("already-on-chain");
    expect(done.txs).toHaveLength(0);
    const failed = await settled(outOfOrder.id);
    expect(failed.status).toBe("failed");
    // ITrainingJobs: TrainingJobsRoundOutOfOrder(jobId, round, expected = roundsAnchored + 1).
    expect(failed.errorName).toBe("TrainingJobsRoundOutOfOrder");
    expect(failed.errorArgs).toEqual([jobId.toString(), "3", "2"]);
    expect(failed.txs).toHaveLength(0);
    expect(await nonceOf(wallet.address)).toBe(1);
    expect(await anchorEvents(jobId, 1)).toHaveLength(1);
    expect(await anchorEvents(jobId, 3)).toHaveLength(0);
  });

  it("finalises a job; a payout above the escrow fails with the decoded error and a corrected one can follow", async () => {
    const wallet = await chain.fundedWallet();
    const reward = 1_000n * 10n ** 18n;
    const jobId = await chain.createJob({ coordinator: wallet.address, rounds: 2, reward });
    const finalize = (payoutTotal: bigint) =>
      open.dataSource.transaction((manager) =>
        enqueueChainIntent(manager, {
          kind: "finalizeJob",
          args: {
            jobId: jobId.toString() as never,
            payoutRoot: hash(`payout ${payoutTotal}`) as never,
            payoutTotal: payoutTotal.toString(),
          },
        }),
      );
    await enqueueAnchor(jobId, 1);
    const tooMuch = await finalize(reward);
    sender(wallet).start();
    const failed = await settled(tooMuch.id);
    // ITrainingJobs: fee = payoutTotal × feeBps / 10,000 with the deployment's 250 bps; payout + fee > escrow.
    expect(failed.errorName).toBe("TrainingJobsPayoutExceedsEscrow");
    expect(failed.errorArgs).toEqual([
      jobId.toString(),
      reward.toString(),
      ((reward * 250n) / 10_000n).toString(),
      reward.toString(),
    ]);

    const payout = (reward * 9n) / 10n;
    const corrected = await finalize(payout);
    expect(corrected.created).toBe(true);
    const done = await settled(corrected.id);
    expect(done.status).toBe("confirmed");
    expect(done.resolution).toBe("mined");
    const job = await chain.system.contracts.jobs.getJob(jobId);
    expect(job.status).toBe(3n); // Finalized
    expect(job.payoutRoot).toBe(hash(`payout ${payout}`));
    expect(job.payoutTotal).toBe(payout);
    expect(job.fee).toBe((payout * 250n) / 10_000n);
    expect(await nonceOf(wallet.address)).toBe(2);
  });

  it("replaces a transaction stuck below the base fee by the same nonce with fees raised 25 % each time", async () => {
    const wallet = await chain.fundedWallet();
    const jobId = await chain.createJob({ coordinator: wallet.address, rounds: 2 });
    const baseFee = 10n * GWEI;
    await chain.rpc("evm_setAutomine", [false]);
    cleanup.push(() => chain.rpc("evm_setAutomine", [true]));
    const queued = await enqueueAnchor(jobId, 1);
    sender(
      wallet,
      { fees: async () => ({ maxFeePerGas: GWEI, maxPriorityFeePerGas: GWEI }) },
      { bumpAfterMs: 80 },
    ).start();
    const row = await until(
      "the replacement to be mined",
      async () => {
        await chain.rpc("hardhat_setNextBlockBaseFeePerGas", [`0x${baseFee.toString(16)}`]);
        await chain.rpc("evm_mine");
        const current = await intent(queued.id);
        return current.status === "confirmed" ? current : undefined;
      },
      20_000,
    );
    expect(row.txs.length).toBeGreaterThanOrEqual(2);
    for (const [index, tx] of row.txs.entries()) {
      expect(tx.nonce).toBe(0);
      if (index === 0) continue;
      const previous = row.txs[index - 1] as (typeof row.txs)[number];
      expect(BigInt(tx.maxFeePerGas) * 100n).toBeGreaterThanOrEqual(BigInt(previous.maxFeePerGas) * 125n);
      expect(BigInt(tx.maxPriorityFeePerGas) * 100n).toBeGreaterThanOrEqual(
        BigInt(previous.maxPriorityFeePerGas) * 125n,
      );
    }
    const events = await anchorEvents(jobId, 1);
    expect(events).toHaveLength(1);
    const mined = events[0]?.transactionHash as string;
    expect(mined).toBe(row.minedTxHash);
    expect(row.txs.map((tx) => tx.hash)).toContain(mined);
    const minedTx = await chain.ethers.provider.getTransaction(mined);
    expect(minedTx?.maxFeePerGas).toBeGreaterThanOrEqual(baseFee);
    expect(minedTx?.nonce).toBe(0);
    // None of the replaced transactions made it into a block.
    for (const tx of row.txs)
      if (tx.hash !== mined) expect(await chain.ethers.provider.getTransactionReceipt(tx.hash)).toBeNull();
    expect(await nonceOf(wallet.address)).toBe(1);
  });
});
