import { Inject, Injectable } from "@nestjs/common";
import type { JobEntity } from "../jobs/job.entity.js";
import { JobRepository } from "../jobs/job.repository.js";
import type { ParticipantEntity } from "../jobs/participant.entity.js";
import { ParticipantRepository } from "../jobs/participant.repository.js";
import type { AssignmentEntity } from "./assignment.entity.js";
import { AssignmentRepository } from "./assignment.repository.js";
import type { RoundEntity } from "./round.entity.js";
import { RoundRepository } from "./round.repository.js";

/** What checking an update for one round needs: its job, the round, who was asked (with which nonce), who joined. */
export interface RoundContext {
  readonly job: JobEntity | null;
  readonly round: RoundEntity | null;
  readonly assignments: ReadonlyMap<string, AssignmentEntity>;
  readonly participants: ReadonlyMap<string, ParticipantEntity>;
}

/** Rounds whose context is kept at once (one per job in practice: a job collects one round at a time). */
const MAX_KEPT = 256;

/**
 * The context of collecting rounds, read from the database once per round instead of four reads per update. It is
 * only a first check: the statement that stores an update checks again, in the database, that the round still
 * collects, the job runs, and the assignment is pending with this nonce, so a stale context can turn an update
 * away early (and it is then read afresh) but never let one in that the database would refuse. A trainer that the
 * context does not know (asked or admitted after it was read) makes it read afresh.
 */
@Injectable()
export class RoundContexts {
  readonly #kept = new Map<string, Promise<RoundContext>>();

  constructor(
    @Inject(JobRepository) private readonly jobs: JobRepository,
    @Inject(RoundRepository) private readonly rounds: RoundRepository,
    @Inject(AssignmentRepository) private readonly assignments: AssignmentRepository,
    @Inject(ParticipantRepository) private readonly participants: ParticipantRepository,
  ) {}

  /** The round's context, kept while the round collects; read afresh when it does not know `trainer`. */
  async get(jobId: string, round: number, trainer: string): Promise<RoundContext> {
    const key = `${jobId}:${round}`;
    const kept = this.#kept.get(key);
    if (kept !== undefined) {
      const context = await kept;
      if (context.assignments.has(trainer) && context.participants.has(trainer)) return context;
    }
    return this.#read(key, jobId, round);
  }

  /** Drops a round's context (it closed, or the database turned an update away for a reason it did not know). */
  forget(jobId: string, round: number): void {
    this.#kept.delete(`${jobId}:${round}`);
  }

  async #read(key: string, jobId: string, round: number): Promise<RoundContext> {
    const reading = (async (): Promise<RoundContext> => {
      const [job, row, assignments, participants] = await Promise.all([
        this.jobs.findById(jobId),
        this.rounds.findOne(jobId, round),
        this.assignments.findByRound(jobId, round),
        this.participants.findByJob(jobId),
      ]);
      return {
        job,
        round: row,
        assignments: new Map(assignments.map((assignment) => [assignment.trainer, assignment])),
        participants: new Map(participants.map((participant) => [participant.trainer, participant])),
      };
    })();
    this.#kept.set(key, reading);
    try {
      const context = await reading;
      // Only a collecting round of a running job is worth keeping; anything else is read again next time.
      if (context.job?.status !== "running" || context.round?.status !== "collecting") this.#kept.delete(key);
    } catch (error) {
      this.#kept.delete(key);
      throw error;
    }
    // Another job's or an earlier round's context is dropped first once too many are kept.
    for (const old of this.#kept.keys()) {
      if (this.#kept.size <= MAX_KEPT) break;
      if (old !== key) this.#kept.delete(old);
    }
    for (const old of this.#kept.keys()) if (old.startsWith(`${jobId}:`) && old !== key) this.#kept.delete(old);
    return reading;
  }
}
