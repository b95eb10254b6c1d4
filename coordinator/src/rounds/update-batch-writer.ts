import { Inject, Injectable } from "@nestjs/common";
import type { UpdateEntity } from "./update.entity.js";
import { UpdateRepository } from "./update.repository.js";

/** An update checked and ready to store (its bytes already in the blob store). */
export type CheckedUpdate = Omit<UpdateEntity, "score" | "rejected">;

/** What the database said about one update of a batch. */
export type BatchOutcome = "accepted" | "duplicate" | "round-closed";

interface Waiting {
  readonly update: CheckedUpdate;
  resolve(outcome: BatchOutcome): void;
  reject(error: unknown): void;
}

/** Most updates one statement stores (arrays are one bind parameter each: only the statement's size grows). */
const MAX_BATCH = 500;

/**
 * Group commit of accepted updates: an update waits while a batch is being written, then goes in with every update
 * that arrived meanwhile, one statement per round (`UpdateRepository.acceptBatch`). A lone update is written at once
 * (after the current turn of the event loop); under load, hundreds share a statement, so the database sees far fewer
 * than one statement per update. Each caller learns its own update's outcome; a failed statement fails its batch.
 */
@Injectable()
export class UpdateBatchWriter {
  readonly #queue: Waiting[] = [];
  #draining: Promise<void> | undefined;

  constructor(@Inject(UpdateRepository) private readonly updates: UpdateRepository) {}

  write(update: CheckedUpdate): Promise<BatchOutcome> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ update, resolve, reject });
      this.#draining ??= this.#drain();
    });
  }

  async #drain(): Promise<void> {
    try {
      // Updates that arrive in this turn of the event loop join the first batch.
      await new Promise((resolve) => setImmediate(resolve));
      while (this.#queue.length > 0) {
        const taken = this.#queue.splice(0, this.#queue.length);
        const byRound = new Map<string, Waiting[]>();
        const seen = new Set<string>();
        for (const waiting of taken) {
          const key = `${waiting.update.jobId}:${waiting.update.round}`;
          // A trainer's second update to the same round waits for the next batch (where it is a duplicate): one
          // statement inserts at most one row per assignment.
          if (seen.has(`${key}:${waiting.update.trainer}`)) {
            this.#queue.push(waiting);
            continue;
          }
          seen.add(`${key}:${waiting.update.trainer}`);
          const items = byRound.get(key);
          if (items === undefined) byRound.set(key, [waiting]);
          else items.push(waiting);
        }
        const batches = [...byRound.values()].flatMap((items) =>
          Array.from({ length: Math.ceil(items.length / MAX_BATCH) }, (_, index) =>
            items.slice(index * MAX_BATCH, (index + 1) * MAX_BATCH),
          ),
        );
        await Promise.all(batches.map((batch) => this.#write(batch)));
      }
    } finally {
      this.#draining = undefined;
    }
  }

  async #write(batch: readonly Waiting[]): Promise<void> {
    const { jobId, round } = (batch[0] as Waiting).update;
    try {
      const { open, accepted } = await this.updates.acceptBatch(
        jobId,
        round,
        batch.map(({ update: { jobId: _job, round: _round, ...row } }) => row),
      );
      for (const waiting of batch) {
        waiting.resolve(accepted.has(waiting.update.trainer) ? "accepted" : open ? "duplicate" : "round-closed");
      }
    } catch (error) {
      for (const waiting of batch) waiting.reject(error);
    }
  }
}
