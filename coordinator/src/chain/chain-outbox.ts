import { isDeepStrictEqual } from "node:util";
import { Injectable } from "@nestjs/common";
import { InjectDataSource } from "@nestjs/typeorm";
import { type DataSource, type EntityManager, Not } from "typeorm";
import { ChainIntentConflictError } from "./chain-errors.js";
import { ChainIntentEntity } from "./chain-intent.entity.js";
import { type ChainIntentInput, dedupeKey, parseChainIntent } from "./chain-intent.js";

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

/** The outbox as a Nest provider: enqueue inside a transaction, read intents back. */
@Injectable()
export class ChainOutbox {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** See `enqueueChainIntent`: call it with the `EntityManager` of the transaction making the state change. */
  enqueue(manager: EntityManager, intent: ChainIntentInput): Promise<{ id: string; created: boolean }> {
    return enqueueChainIntent(manager, intent);
  }

  get(id: string): Promise<ChainIntentEntity | null> {
    return this.db.getRepository(ChainIntentEntity).findOneBy({ id });
  }

  /** Every intent, oldest first. */
  list(): Promise<ChainIntentEntity[]> {
    return this.db.getRepository(ChainIntentEntity).find({ order: { id: "ASC" } });
  }
}
