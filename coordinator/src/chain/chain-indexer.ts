import { Logger, type OnModuleDestroy } from "@nestjs/common";
import { isAppliedChainEvent, parseChainEvent } from "@tributary/protocol";
import type { Interface, Log } from "ethers";
import type { TransactionRunner } from "../database/transaction-runner.repository.js";
import { applyChainEvent } from "./apply-chain-event.js";
import type { ChainClient } from "./chain-client.js";
import { ChainIdMismatchError, describeError } from "./chain-errors.js";
import type { ChainIndexRepository } from "./chain-index.repository.js";
import type { ChainJobEntity } from "./chain-job.entity.js";
import type { ChainJobRepository } from "./chain-job.repository.js";
import { PollingLoop, type StepFailure } from "./polling-loop.js";

export interface ChainIndexerOptions {
  /** First block to read on an empty database (the deployment's start block). */
  readonly startBlock: number;
  /** Blocks that must be on top of a block before its events are read (0: up to the head). */
  readonly confirmations: number;
  readonly maxBlockRange: number;
  readonly pollIntervalMs: number;
  readonly maxBackoffMs: number;
  /** When set, only jobs naming this coordinator are handed to `onJobCreated` listeners. */
  readonly coordinator?: string;
}

/** Told about an on-chain job that no coordinator job runs yet. Adopt it with `ChainJobRepository.markAdopted`. */
export type ChainJobListener = (job: ChainJobEntity) => Promise<void> | void;

/** One processed range: blocks `[from, to]`, `events` logs of the two contracts in it. */
export interface IndexedRange {
  readonly from: number;
  readonly to: number;
  readonly events: number;
}

/**
 * Follows DatasetRegistry and TrainingJobs: polls their logs from a cursor persisted in `chain_cursors`, only up
 * to head − confirmations, in ranges of at most `maxBlockRange` blocks, and applies each range in one database
 * transaction that also advances the cursor (so a crash repeats nothing and misses nothing; replays are
 * harmless anyway, see `applyChainEvent`). Confirmations are its only defence against reorgs.
 *
 * Jobs created on chain are handed to `onJobCreated` listeners at least once: after the range creating them
 * committed and, after a restart, for every job still without `adoptedJobId`.
 */
export class ChainIndexer implements OnModuleDestroy {
  readonly #logger = new Logger("chain-indexer");
  readonly #transactions: TransactionRunner;
  readonly #index: ChainIndexRepository;
  readonly #chainJobs: ChainJobRepository;
  readonly #client: ChainClient;
  readonly #options: ChainIndexerOptions;
  readonly #listeners = new Set<ChainJobListener>();
  readonly #dispatched = new Set<string>();
  readonly cursorName: string;
  readonly #loop: PollingLoop;
  #chainChecked = false;

  constructor(
    stores: { transactions: TransactionRunner; index: ChainIndexRepository; chainJobs: ChainJobRepository },
    client: ChainClient,
    options: ChainIndexerOptions,
  ) {
    this.#transactions = stores.transactions;
    this.#index = stores.index;
    this.#chainJobs = stores.chainJobs;
    this.#client = client;
    this.#options = options;
    this.cursorName =
      `${client.chainId}:${client.trainingJobs.address}:${client.datasetRegistry.address}`.toLowerCase();
    this.#loop = new PollingLoop(
      options,
      () => this.#step(),
      (error, delay) => this.#failed(error, delay),
    );
  }

  onJobCreated(listener: ChainJobListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Before the database closes (`onApplicationShutdown`), so no step runs against a closed pool. */
  async onModuleDestroy(): Promise<void> {
    await this.stop();
  }

  start(): void {
    this.#loop.start();
  }

  async stop(): Promise<void> {
    await this.#loop.stop();
  }

  /** The first block not processed yet. */
  nextBlock(): Promise<number> {
    return this.#index.nextBlock(this.cursorName, this.#options.startBlock);
  }

  /** Processes the next range of confirmed blocks; undefined when there is none yet. */
  async pollOnce(): Promise<IndexedRange | undefined> {
    const head = await this.#client.provider.getBlockNumber();
    const safe = head - this.#options.confirmations;
    const from = await this.nextBlock();
    if (from > safe) return undefined;
    const to = Math.min(safe, from + this.#options.maxBlockRange - 1);
    const logs = await this.#client.provider.getLogs({
      address: [this.#client.trainingJobs.address, this.#client.datasetRegistry.address],
      fromBlock: from,
      toBlock: to,
    });
    logs.sort((x, y) => x.blockNumber - y.blockNumber || x.index - y.index);
    const created = await this.#transactions.run(async (tx) => {
      // Another indexer took this range.
      if (!(await this.#index.advanceCursor(tx, this.cursorName, from, to))) return undefined;
      const jobs: string[] = [];
      for (const log of logs) {
        const decoded = this.#interfaceOf(log).parseLog({ topics: [...log.topics], data: log.data });
        // Claims, reclaims, role and parameter events: not the indexer's business.
        if (decoded === null || !isAppliedChainEvent(decoded.name)) continue;
        const args = Object.fromEntries(decoded.fragment.inputs.map((input, i) => [input.name, decoded.args[i]]));
        const event = parseChainEvent(decoded.name, args);
        const { createdJob } = await applyChainEvent(this.#index, tx, event, {
          block: log.blockNumber,
          logIndex: log.index,
          txHash: log.transactionHash.toLowerCase(),
        });
        if (createdJob !== undefined) jobs.push(createdJob);
      }
      return jobs;
    });
    if (created === undefined) return undefined;
    if (created.length > 0) this.#logger.log(`on-chain job(s) ${created.join(", ")} created (blocks ${from}–${to})`);
    return { from, to, events: logs.length };
  }

  /** Processes every confirmed range, then hands unadopted jobs to the listeners. Returns the ranges processed. */
  async catchUp(): Promise<IndexedRange[]> {
    const ranges: IndexedRange[] = [];
    for (let range = await this.pollOnce(); range !== undefined; range = await this.pollOnce()) ranges.push(range);
    await this.#dispatch();
    return ranges;
  }

  /** The interface of the contract that emitted `log` (typed: its events are named by the ABI, not by us). */
  #interfaceOf(log: Log): Interface {
    return log.address.toLowerCase() === this.#client.trainingJobs.address.toLowerCase()
      ? this.#client.trainingJobs.contract.interface
      : this.#client.datasetRegistry.contract.interface;
  }

  async #dispatch(): Promise<void> {
    if (this.#listeners.size === 0) return;
    const jobs = await this.#chainJobs.unadopted(this.#options.coordinator);
    for (const job of jobs) {
      if (this.#dispatched.has(job.jobId)) continue;
      this.#dispatched.add(job.jobId);
      for (const listener of this.#listeners) {
        try {
          await listener(job);
        } catch (error) {
          // Retried at the next poll (the researcher may upload the JobSpec later); logged when the reason changes.
          this.#dispatched.delete(job.jobId);
          const message = String((error as Error).message).slice(0, 1_000);
          if (message === job.adoptionError) continue;
          this.#logger.warn(`on-chain job ${job.jobId} not adopted: ${message}`);
          await this.#chainJobs.recordAdoptionError(job.jobId, message);
        }
      }
    }
  }

  /** One pass of the loop: first make sure the node serves the configured chain, then index what is confirmed. */
  async #step(): Promise<boolean> {
    if (!this.#chainChecked) {
      await this.#client.checkChainId();
      this.#chainChecked = true;
    }
    await this.catchUp();
    return false;
  }

  #failed(error: unknown, retryInMs: number): StepFailure {
    if (error instanceof ChainIdMismatchError) {
      this.#logger.error(error.message);
      return "stop";
    }
    this.#logger.warn(`chain indexing delayed (retry in ${retryInMs} ms): ${describeError(error)}`);
    return "retry";
  }
}
