import { isDeepStrictEqual } from "node:util";
import { Injectable } from "@nestjs/common";
import { InjectDataSource } from "@nestjs/typeorm";
import { type DataSource, type EntityManager, In, Not } from "typeorm";
import { Transaction } from "../database/transaction-runner.repository.js";
import { ChainIntentConflictError } from "./chain-errors.js";
import { ChainIntentEntity } from "./chain-intent.entity.js";
import { type ChainIntentInput, dedupeKey, parseChainIntent } from "./chain-intent.js";

const OPEN = () => In(["pending", "sent"]);

/**
 * Commits `intent` to the outbox through `manager`, i.e. inside the caller's transaction, so the intent exists
 * exactly when the state change that causes it committed. Idempotent: the same effect (same round, same job's
 * finalisation) enqueued again with the same arguments returns the existing intent; with other arguments it
 * throws `ChainIntentConflictError` (rolling the caller's transaction back). Once an intent failed, a new one for
 * the same effect may be enqueued (e.g. a corrected payout).
 */
export async function enqueueChainIntent(
  manager: EntityManager,
  input: ChainIntentInput,
): Promise<{ id: string; created: boolean }> {
  const intent = parseChainIntent(input);
  const key = dedupeKey(intent);
  const inserted = await manager
    .createQueryBuilder()
    .insert()
    .into(ChainIntentEntity)
    .values({ kind: intent.kind, dedupeKey: key, args: intent.args, status: "pending", txs: [], attempts: 0 })
    .orIgnore()
    .returning(["id"])
    .execute();
  const row = inserted.raw[0] as { id: string } | undefined;
  if (row !== undefined) return { id: String(row.id), created: true };
  const existing = await manager.findOneByOrFail(ChainIntentEntity, { dedupeKey: key, status: Not("failed") });
  if (!isDeepStrictEqual(existing.args, intent.args))
    throw new ChainIntentConflictError(key, existing.args, intent.args);
  return { id: existing.id, created: false };
}

/** The outbox of chain writes (`chain_intents`): enqueued with state changes, worked off by the sender. */
@Injectable()
export class ChainIntentRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** See `enqueueChainIntent`: in the transaction making the state change. */
  enqueue(tx: Transaction, input: ChainIntentInput): Promise<{ id: string; created: boolean }> {
    return enqueueChainIntent(Transaction.entityManager(tx), input);
  }

  get(id: string): Promise<ChainIntentEntity | null> {
    return this.db.getRepository(ChainIntentEntity).findOneBy({ id });
  }

  getOrFail(id: string): Promise<ChainIntentEntity> {
    return this.db.getRepository(ChainIntentEntity).findOneByOrFail({ id });
  }

  /** Every intent, oldest first. */
  list(): Promise<ChainIntentEntity[]> {
    return this.db.getRepository(ChainIntentEntity).find({ order: { id: "ASC" } });
  }

  /** The intents of these effects that did not fail, oldest first. */
  findLive(keys: readonly string[]): Promise<ChainIntentEntity[]> {
    return this.db
      .getRepository(ChainIntentEntity)
      .find({ where: { dedupeKey: In([...keys]), status: Not("failed") }, order: { id: "ASC" } });
  }

  /** The newest intent of this effect, whatever its status. */
  latest(key: string): Promise<ChainIntentEntity | null> {
    return this.db.getRepository(ChainIntentEntity).findOne({ where: { dedupeKey: key }, order: { id: "DESC" } });
  }

  /** The oldest intent still pending or sent. */
  oldestOpen(): Promise<ChainIntentEntity | null> {
    return this.db.getRepository(ChainIntentEntity).findOne({ where: { status: OPEN() }, order: { id: "ASC" } });
  }

  /** Changes an intent that is still open (pending or sent); returns whether it was. */
  async updateOpen(id: string, changes: Partial<ChainIntentEntity>): Promise<boolean> {
    const result = await this.db.getRepository(ChainIntentEntity).update({ id, status: OPEN() }, changes);
    return result.affected === 1;
  }

  /** Back to pending without a nonce, if it is still `sent`. */
  async resetSent(id: string): Promise<void> {
    await this.db
      .getRepository(ChainIntentEntity)
      .update({ id, status: "sent" }, { status: "pending", nonce: null, rawTx: null });
  }

  async incrementAttempts(id: string): Promise<void> {
    await this.db.getRepository(ChainIntentEntity).increment({ id }, "attempts", 1);
  }

  async update(id: string, changes: Partial<ChainIntentEntity>): Promise<void> {
    await this.db.getRepository(ChainIntentEntity).update({ id }, changes);
  }

  /** The highest nonce of an intent this sender got mined, if any. */
  async lastMinedNonce(sender: string): Promise<number | undefined> {
    const mined = await this.db
      .getRepository(ChainIntentEntity)
      .createQueryBuilder("intent")
      .select("MAX(intent.nonce)", "nonce")
      .where("intent.resolution = 'mined' AND intent.sender = :sender", { sender })
      .getRawOne<{ nonce: string | null }>();
    return mined?.nonce === null || mined?.nonce === undefined ? undefined : Number(mined.nonce);
  }

  /** The open intents (pending or sent) by kind and status (for the metrics). */
  async openCounts(): Promise<{ kind: string; status: string; count: number }[]> {
    const rows = await this.db
      .getRepository(ChainIntentEntity)
      .createQueryBuilder("intent")
      .select("intent.kind", "kind")
      .addSelect("intent.status", "status")
      .addSelect("COUNT(*)::int", "count")
      .where("intent.status IN ('pending', 'sent')")
      .groupBy("intent.kind")
      .addGroupBy("intent.status")
      .getRawMany<{ kind: string; status: string; count: number }>();
    return rows.map((row) => ({ ...row, count: Number(row.count) }));
  }
}
