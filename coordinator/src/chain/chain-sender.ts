import { Logger, type OnModuleDestroy } from "@nestjs/common";
import { keccak256, Transaction, type TransactionLike } from "ethers";
import type { ChainClient } from "./chain-client.js";
import { ChainIdMismatchError, type DecodedRevert, decodeRevert, describeError, isRevert } from "./chain-errors.js";
import type { ChainIntentEntity, SentTransaction } from "./chain-intent.entity.js";
import type { ChainIntent } from "./chain-intent.js";
import type { ChainIntentRepository } from "./chain-intent.repository.js";
import { bumpFees, capFees, type Fees } from "./fee-bump.js";
import { type IntentOnChain, intentCalldata, intentOnChain, intentTarget } from "./intent-on-chain.js";
import { PollingLoop, type StepFailure } from "./polling-loop.js";

export interface ChainSenderOptions {
  /** Blocks on top of a transaction's block (counting it) before its intent is confirmed; at least 1 is used. */
  readonly confirmations: number;
  readonly pollIntervalMs: number;
  /** A transaction not mined this long after it was signed is replaced (same nonce, higher fees). */
  readonly bumpAfterMs: number;
  /** Percent added to both EIP-1559 fees by each replacement. */
  readonly feeBumpPercent: number;
  readonly maxFeePerGasCap?: bigint;
  readonly maxBackoffMs: number;
}

/** Test seams. A hook that throws kills the sender on the spot (like a crash: nothing more is written). */
export interface ChainSenderHooks {
  /** Fee suggestion; default: the node's `getFeeData()`. */
  fees?(): Promise<Fees>;
  beforeBroadcast?(intentId: string, txHash: string): Promise<void> | void;
  /** After the node accepted the transaction, before the database records that it was sent. */
  afterBroadcast?(intentId: string, txHash: string): Promise<void> | void;
}

/** The error a throwing hook is wrapped in; the sender stops when it sees one. */
export class SenderCrashedError extends Error {
  constructor(cause: unknown) {
    super("the chain sender was stopped by a hook", { cause });
  }
}

/** Gas limit = estimate × 1.2. */
const GAS_MARGIN_PERCENT = 120n;
const ALREADY_KNOWN = /already known|known transaction|already imported|nonce too low|underpriced/i;

/**
 * Sends the outbox's intents from one account, oldest first and one at a time (so nonces never interleave and
 * anchors land in round order). For each intent it: checks the contract's state (already done: confirmed
 * without sending; another value in the slot or a reverting call: failed with the decoded custom error); picks
 * the nonce (the chain's pending count, never below the last nonce it saw mined + 1); signs; records the signed
 * transaction BEFORE broadcasting it; broadcasts; waits for `confirmations`; replaces a transaction that is not
 * mined in time by the same nonce with fees raised by `feeBumpPercent`; rebroadcasts a transaction the node lost.
 * RPC errors are retried with exponential backoff: an outage delays sending and loses nothing.
 */
export class ChainSender implements OnModuleDestroy {
  readonly #logger = new Logger("chain-sender");
  readonly #intents: ChainIntentRepository;
  readonly #client: ChainClient;
  readonly #options: ChainSenderOptions;
  readonly #hooks: ChainSenderHooks;
  readonly #listeners = new Set<(intent: ChainIntentEntity) => void>();
  readonly #loop: PollingLoop;
  #current: string | undefined;
  #chainChecked = false;
  /** Set when a hook stopped the sender. */
  crashed: SenderCrashedError | undefined;

  constructor(
    intents: ChainIntentRepository,
    client: ChainClient,
    options: ChainSenderOptions,
    hooks: ChainSenderHooks = {},
  ) {
    if (client.wallet === undefined) throw new TypeError("the chain sender needs chain.senderPrivateKey");
    this.#intents = intents;
    this.#client = client;
    this.#options = options;
    this.#hooks = hooks;
    this.#loop = new PollingLoop(
      options,
      () => this.tick(),
      (error, delay) => this.#failed(error, delay),
    );
  }

  get address(): string {
    return (this.#client.wallet as NonNullable<ChainClient["wallet"]>).address;
  }

  /** Called with every intent the sender confirmed or failed, after the database recorded it. */
  onSettled(listener: (intent: ChainIntentEntity) => void): () => void {
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

  /** Stops after the step in progress. */
  async stop(): Promise<void> {
    await this.#loop.stop();
  }

  /** Asks the loop to look at the outbox now (e.g. right after an enqueue committed). */
  poke(): void {
    this.#loop.wake();
  }

  async #failed(error: unknown, retryInMs: number): Promise<StepFailure> {
    if (error instanceof ChainIdMismatchError) {
      this.#logger.error(error.message);
      return "stop";
    }
    if (error instanceof SenderCrashedError) {
      this.crashed = error;
      return "stop";
    }
    this.#logger.warn(`chain write delayed (retry in ${retryInMs} ms): ${describeError(error)}`);
    await this.#recordError(error);
    return "retry";
  }

  /**
   * One step on the oldest open intent. Returns true when it settled an intent or changed its state so that the
   * next step should follow at once, false when there is nothing to do before the next poll.
   */
  async tick(): Promise<boolean> {
    const row = await this.#intents.oldestOpen();
    if (row === null) return false;
    this.#current = row.id;
    if (!this.#chainChecked) {
      await this.#client.checkChainId();
      this.#chainChecked = true;
    }
    const intent = { kind: row.kind, args: row.args } as ChainIntent;
    return row.status === "pending" ? this.#sendFirst(row, intent) : this.#follow(row, intent);
  }

  async #sendFirst(row: ChainIntentEntity, intent: ChainIntent): Promise<boolean> {
    if (await this.#settledByState(row, intent)) return true;
    const provider = this.#client.provider;
    const data = await intentCalldata(this.#client, intent);
    const target = intentTarget(this.#client, intent);
    const to = target.address;
    let gas: bigint;
    try {
      gas = await provider.estimateGas({ from: this.address, to, data });
    } catch (error) {
      if (!isRevert(error)) throw error;
      const revert = decodeRevert(error, target.abi);
      await this.#fail(
        row,
        revert?.name ?? "UnknownRevert",
        revert?.args ?? [String((error as { data?: unknown }).data)],
      );
      return true;
    }
    const nonce = await this.#nextNonce();
    const fees = await this.#fees();
    const request: TransactionLike = {
      type: 2,
      chainId: BigInt(this.#client.chainId),
      nonce,
      to,
      data,
      value: 0n,
      gasLimit: (gas * GAS_MARGIN_PERCENT) / 100n,
      ...fees,
    };
    await this.#signRecordAndBroadcast(row, request);
    return false;
  }

  /** An intent with a recorded transaction: confirm, fail, wait, bump, rebroadcast, or start over with a new nonce. */
  async #follow(row: ChainIntentEntity, intent: ChainIntent): Promise<boolean> {
    const provider = this.#client.provider;
    const head = await provider.getBlockNumber();
    for (const tx of [...row.txs].reverse()) {
      const receipt = await provider.getTransactionReceipt(tx.hash);
      if (receipt === null) continue;
      if (head - receipt.blockNumber + 1 < Math.max(1, this.#options.confirmations)) return false;
      if (receipt.status === 1) {
        await this.#confirm(row, "mined", tx.hash, receipt.blockNumber);
        return true;
      }
      // Mined but reverted: someone else may have done it, or the state moved on.
      if (await this.#settledByState(row, intent)) return true;
      const revert = await this.#simulate(intent);
      await this.#fail(row, revert?.name ?? "Reverted", revert?.args ?? [tx.hash]);
      return true;
    }
    if (await this.#settledByState(row, intent)) return true;
    const nonce = Number(row.nonce);
    const latest = await provider.getTransactionCount(this.address, "latest");
    if (latest > nonce) {
      // The nonce is used, yet none of our transactions has a receipt: look once more (it may just have been
      // mined), otherwise it was taken by a transaction we did not record: start over with a fresh nonce.
      for (const tx of row.txs) if ((await provider.getTransactionReceipt(tx.hash)) !== null) return true;
      await this.#intents.resetSent(row.id);
      this.#logger.warn(`intent ${row.id}: nonce ${nonce} was used by another transaction; sending again`);
      return true;
    }
    const last = row.txs.at(-1) as SentTransaction;
    const raw = row.rawTx as string;
    if (Date.now() - Date.parse(last.signedAt) >= this.#options.bumpAfterMs) {
      const bumped = await this.#bumpedFees(Transaction.from(raw));
      if (bumped !== undefined) {
        const previous = Transaction.from(raw);
        await this.#signRecordAndBroadcast(row, {
          type: 2,
          chainId: previous.chainId,
          nonce: previous.nonce,
          to: previous.to,
          data: previous.data,
          value: previous.value,
          gasLimit: previous.gasLimit,
          ...bumped,
        });
        return false;
      }
    }
    if ((await provider.send("eth_getTransactionByHash", [last.hash])) === null) {
      if ((await provider.getTransactionCount(this.address, "pending")) < nonce) {
        // A gap below our nonce (an earlier transaction of this account was dropped): the node would never mine
        // this one. Start over with a nonce from the chain.
        await this.#intents.resetSent(row.id);
        this.#logger.warn(`intent ${row.id}: nonce ${nonce} is above the account's next nonce; signing again`);
        return true;
      }
      // The node does not know it (lost in an outage or a node restart, or never reached it): same bytes again.
      await this.#broadcast(row, raw, last.hash);
    }
    return false;
  }

  /** Records the intent's new signed transaction (write-ahead), then broadcasts it. */
  async #signRecordAndBroadcast(row: ChainIntentEntity, request: TransactionLike): Promise<void> {
    const wallet = this.#client.wallet as NonNullable<ChainClient["wallet"]>;
    const raw = await wallet.signTransaction(request);
    const hash = keccak256(raw);
    const sent: SentTransaction = {
      hash,
      nonce: Number(request.nonce),
      maxFeePerGas: String(request.maxFeePerGas),
      maxPriorityFeePerGas: String(request.maxPriorityFeePerGas),
      signedAt: new Date().toISOString(),
    };
    const txs = [...row.txs, sent];
    const recorded = await this.#intents.updateOpen(row.id, {
      status: "sent",
      sender: this.address.toLowerCase(),
      nonce: String(request.nonce),
      rawTx: raw,
      txs,
    });
    if (!recorded) return;
    row.txs = txs;
    this.#logger.log(`intent ${row.id} (${row.kind}): nonce ${sent.nonce}, tx ${hash}, maxFee ${sent.maxFeePerGas}`);
    await this.#broadcast(row, raw, hash);
  }

  async #broadcast(row: ChainIntentEntity, raw: string, hash: string): Promise<void> {
    await this.#hook(() => this.#hooks.beforeBroadcast?.(row.id, hash));
    await this.#intents.incrementAttempts(row.id);
    try {
      await this.#client.provider.send("eth_sendRawTransaction", [raw]);
    } catch (error) {
      // The node already has it (or its nonce is used): the next step finds out which from the chain.
      if (!ALREADY_KNOWN.test((error as Error).message)) throw error;
    }
    await this.#hook(() => this.#hooks.afterBroadcast?.(row.id, hash));
    await this.#intents.update(row.id, { lastSentAt: new Date(), lastError: null });
  }

  async #hook(call: () => Promise<void> | void | undefined): Promise<void> {
    try {
      await call();
    } catch (error) {
      throw new SenderCrashedError(error);
    }
  }

  /** Confirms or fails the intent when the contract's state already decides it; false when it must be sent. */
  async #settledByState(row: ChainIntentEntity, intent: ChainIntent): Promise<boolean> {
    let onChain: IntentOnChain;
    try {
      onChain = await intentOnChain(this.#client, intent);
    } catch (error) {
      if (!isRevert(error)) throw error;
      const revert = decodeRevert(error, intentTarget(this.#client, intent).abi);
      await this.#fail(row, revert?.name ?? "UnknownRevert", revert?.args ?? []);
      return true;
    }
    if (onChain.state === "not-yet") return false;
    if (onChain.state === "conflict") {
      await this.#fail(row, onChain.name, onChain.args);
      return true;
    }
    // The effect is there: if one of our own transactions was mined since we last looked (a block can land
    // between reading the receipts and reading the state), it is what did it, and the ledger names it.
    for (const tx of row.txs) {
      const receipt = await this.#client.provider.getTransactionReceipt(tx.hash);
      if (receipt?.status === 1) {
        await this.#confirm(row, "mined", tx.hash, receipt.blockNumber);
        return true;
      }
    }
    await this.#confirm(row, "already-on-chain", null, null);
    return true;
  }

  /** The custom error the intent's call reverts with now, if any. */
  async #simulate(intent: ChainIntent): Promise<DecodedRevert | undefined> {
    const target = intentTarget(this.#client, intent);
    try {
      await this.#client.provider.estimateGas({
        from: this.address,
        to: target.address,
        data: await intentCalldata(this.#client, intent),
      });
      return undefined;
    } catch (error) {
      if (!isRevert(error)) throw error;
      return decodeRevert(error, target.abi);
    }
  }

  async #nextNonce(): Promise<number> {
    const pending = await this.#client.provider.getTransactionCount(this.address, "pending");
    const mined = await this.#intents.lastMinedNonce(this.address.toLowerCase());
    const next = mined === undefined ? 0 : mined + 1;
    return Math.max(pending, next);
  }

  async #fees(): Promise<Fees> {
    if (this.#hooks.fees !== undefined) return capFees(await this.#hooks.fees(), this.#options.maxFeePerGasCap);
    const data = await this.#client.provider.getFeeData();
    const maxFeePerGas = data.maxFeePerGas ?? data.gasPrice;
    const maxPriorityFeePerGas = data.maxPriorityFeePerGas ?? data.gasPrice;
    if (maxFeePerGas === null || maxPriorityFeePerGas === null) throw new Error("the node suggests no fees");
    return capFees({ maxFeePerGas, maxPriorityFeePerGas }, this.#options.maxFeePerGasCap);
  }

  async #bumpedFees(previous: Transaction): Promise<Fees | undefined> {
    const before = {
      maxFeePerGas: previous.maxFeePerGas ?? 0n,
      maxPriorityFeePerGas: previous.maxPriorityFeePerGas ?? 0n,
    };
    return bumpFees(before, await this.#fees(), this.#options.feeBumpPercent, this.#options.maxFeePerGasCap);
  }

  async #confirm(
    row: ChainIntentEntity,
    resolution: "mined" | "already-on-chain",
    txHash: string | null,
    block: number | null,
  ): Promise<void> {
    await this.#settle(row, {
      status: "confirmed",
      resolution,
      minedTxHash: txHash,
      minedBlock: block === null ? null : String(block),
      lastError: null,
    });
  }

  async #fail(row: ChainIntentEntity, name: string, args: string[]): Promise<void> {
    this.#logger.error(`intent ${row.id} (${row.kind}) failed: ${name}(${args.join(", ")})`);
    await this.#settle(row, {
      status: "failed",
      errorName: name,
      errorArgs: args,
      lastError: `${name}(${args.join(", ")})`,
    });
  }

  async #settle(row: ChainIntentEntity, changes: Partial<ChainIntentEntity>): Promise<void> {
    if (!(await this.#intents.updateOpen(row.id, { ...changes, finishedAt: new Date() }))) return;
    const settled = await this.#intents.getOrFail(row.id);
    for (const listener of this.#listeners) listener(settled);
  }

  async #recordError(error: unknown): Promise<void> {
    if (this.#current === undefined) return;
    await this.#intents.updateOpen(this.#current, { lastError: describeError(error) }).catch(() => undefined);
  }
}
