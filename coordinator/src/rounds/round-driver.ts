import { randomInt } from "node:crypto";
import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
  Optional,
} from "@nestjs/common";
import { withLogContext } from "@tributary/observability";
import { SOCKET_EVENTS } from "@tributary/protocol";
import { SecAggAbortedError } from "@tributary/secure-aggregation";
import { AttestationRegistryReader } from "../chain/attestation-registry-reader.js";
import { JOB_CHANGES, type JobChanges } from "../common/job-changes.js";
import { COORDINATOR_CONFIG } from "../common/tokens.js";
import type { CoordinatorConfig } from "../config/coordinator-config.js";
import type { JobEntity } from "../jobs/job.entity.js";
import { JobRepository } from "../jobs/job.repository.js";
import { ParticipantRepository } from "../jobs/participant.repository.js";
import type { AssignmentEntity } from "./assignment.entity.js";
import { AssignmentRepository } from "./assignment.repository.js";
import { INSTRUCTION_SENDER, type InstructionSender } from "./instruction-sender.js";
import { JobLeases, LeaseLostError } from "./job-leases.js";
import type { RoundEntity } from "./round.entity.js";
import { RoundRepository } from "./round.repository.js";
import { RoundsService } from "./rounds.service.js";
import { SecAggRounds } from "./secagg-rounds.js";

/** Why a SecAgg round whose protocol state this process does not hold fails its job. */
function lostSecAgg(round: number): string {
  return `round ${round}: its secure aggregation state is not in this coordinator process (it restarted, or another replica started the round); the round cannot finish without seeing updates in the clear`;
}

/** Uniform random sample of `count` items without replacement (Fisher–Yates on a crypto RNG). */
export function sample<T>(items: readonly T[], count: number): T[] {
  const pool = [...items];
  for (let index = pool.length - 1; index > 0; index--) {
    const other = randomInt(index + 1);
    [pool[index], pool[other]] = [pool[other] as T, pool[index] as T];
  }
  return pool.slice(0, count);
}

/**
 * Drives the round state machine of every active job whose lease this replica holds (`JobLeases`), from the
 * database: on a timer, and promptly when something happens (an update, a login; on another replica, a nudge
 * through Redis). Work on one job is serialised; after a restart, or on the replica that takes a job over, it
 * simply resumes from the rows.
 */
@Injectable()
export class RoundDriver implements OnApplicationBootstrap, OnModuleDestroy {
  readonly #logger = new Logger("driver");
  readonly #chains = new Map<string, Promise<void>>();
  /** Per job, the advance queued behind the running one that has not started yet. */
  readonly #waiting = new Map<string, Promise<void>>();
  #timer: NodeJS.Timeout | undefined;
  #ticking: Promise<void> = Promise.resolve();
  #stopped = false;

  constructor(
    @Inject(JobRepository) private readonly jobs: JobRepository,
    @Inject(RoundRepository) private readonly roundRows: RoundRepository,
    @Inject(AssignmentRepository) private readonly assignments: AssignmentRepository,
    @Inject(ParticipantRepository) private readonly participants: ParticipantRepository,
    @Inject(COORDINATOR_CONFIG) private readonly config: CoordinatorConfig,
    @Inject(INSTRUCTION_SENDER) private readonly sessions: InstructionSender,
    @Inject(RoundsService) private readonly rounds: RoundsService,
    @Inject(JobLeases) private readonly leases: JobLeases,
    @Inject(SecAggRounds) private readonly secAgg: SecAggRounds,
    @Optional() @Inject(AttestationRegistryReader) private readonly attested?: AttestationRegistryReader,
    @Optional() @Inject(JOB_CHANGES) private readonly changes?: JobChanges,
  ) {}

  onApplicationBootstrap(): void {
    this.leases.start();
    // Each tick claims the leases of the active jobs no replica holds (and renews this one's), then advances the
    // jobs this replica drives.
    const tick = async () => {
      if (this.#stopped) return;
      const held = await this.jobs
        .activeIds()
        .then((active) => this.leases.claim(active))
        .catch((error: Error) => {
          this.#logger.error(`tick failed: ${error.message}`);
          return [];
        });
      await Promise.all(held.map((jobId) => this.kick(jobId)));
    };
    const schedule = (delay: number) => {
      this.#timer = setTimeout(() => {
        this.#ticking = tick().finally(() => {
          if (!this.#stopped) schedule(this.config.tickSeconds * 1000);
        });
      }, delay);
    };
    schedule(0);
  }

  /** Stops before the database closes (module destruction precedes the shutdown hooks). */
  async onModuleDestroy(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#ticking;
    await Promise.all(this.#chains.values());
    await this.leases.stop();
  }

  /**
   * Advances a job as far as it can go now; calls for the same job run one after another. A kick while another
   * advance of the job is already waiting to start joins that one: it starts after this call, so it sees what
   * prompted the kick (a burst of n updates costs a few advances, not n, each reading every assignment). A job
   * another replica drives is not advanced here: `forward` nudges that replica instead.
   */
  kick(jobId: string, forward = true): Promise<void> {
    // Another replica drives this job (or none yet): it is told (unless this kick is such a nudge), and advances it.
    if (!this.leases.holds(jobId)) {
      if (forward) this.sessions.nudge(jobId);
      return Promise.resolve();
    }
    const waiting = this.#waiting.get(jobId);
    if (waiting !== undefined) return waiting;
    const previous = this.#chains.get(jobId) ?? Promise.resolve();
    const next = previous
      .then(() => {
        this.#waiting.delete(jobId);
        return this.#stopped ? undefined : withLogContext({ jobId }, () => this.#advance(jobId));
      })
      .catch((error: Error) => this.#logger.error(`job ${jobId}: ${error.stack ?? error.message}`));
    this.#waiting.set(jobId, next);
    this.#chains.set(jobId, next);
    return next;
  }

  /** Sends a trainer that (re)connected the instructions of every open round it was selected for. */
  resend(trainer: string): void {
    void (async () => {
      const pending = await this.assignments.pendingFor(trainer);
      for (const assignment of pending) {
        const [job, round] = await Promise.all([
          this.jobs.findById(assignment.jobId),
          this.roundRows.findOne(assignment.jobId, assignment.round),
        ]);
        if (job !== null && round?.status === "collecting") this.#send(job, round, assignment);
      }
    })().catch((error: Error) => this.#logger.error(`resend to ${trainer}: ${error.message}`));
  }

  async #advance(jobId: string): Promise<void> {
    // Whether this advance moved the job: only then is reaching a terminal status news for its watchers.
    let moved = false;
    for (;;) {
      if (!this.leases.holds(jobId)) return;
      const job = await this.jobs.findById(jobId);
      if (job === null) return;
      if (job.status === "completed" || job.status === "failed" || job.status === "cancelled") {
        this.secAgg.endJob(jobId);
        this.sessions.sendToDatasets(job.spec.datasetIds, SOCKET_EVENTS.jobClosed, { jobId, status: job.status });
        if (moved) this.changes?.changed({ jobId, what: "ended" });
        return;
      }
      moved = true;
      const round = await this.roundRows.findOne(jobId, job.round);
      if (round === null) {
        if (!(await this.#open(job))) return;
        this.changes?.changed({ jobId, what: "round-opened", round: job.round });
      } else if (round.status === "collecting") {
        if (!(await this.#collect(job, round))) return;
        this.changes?.changed({ jobId, what: "round-closed", round: round.round });
      } else if (round.status === "aggregating") {
        try {
          if (round.kind === "train" && job.spec.secureAggregation !== undefined) {
            if (!(await this.#unmask(job, round))) return;
          } else if (round.kind === "train") await this.rounds.aggregate(job, round);
          else await this.rounds.finishEvaluation(job, round);
        } catch (error) {
          // Another replica took the job over meanwhile, and may have finished this round: not the job's failure.
          if (error instanceof LeaseLostError) return;
          await this.rounds.fail(job, `round ${round.round}: ${(error as Error).message}`);
          this.changes?.changed({ jobId, what: "ended" });
          return;
        }
        this.changes?.changed({ jobId, what: "round-finished", round: round.round });
      } else {
        return;
      }
    }
  }

  /**
   * Opens the next round if it may start and enough admitted trainers are online; returns whether it did. While
   * it cannot, the job's `statusMessage` says why; after `jobStartTimeoutS` of waiting the job fails with that
   * reason. An on-chain job's round 0 waits for its `acceptJob` to be confirmed.
   */
  async #open(job: JobEntity): Promise<boolean> {
    const online = await this.#onlineParticipants(job);
    const blocked = await this.#blocked(job, online);
    if (blocked !== undefined) {
      const since = await this.#waitingSince(job);
      const waitedS = (Date.now() - since.getTime()) / 1000;
      if (blocked.fatal === true || waitedS >= this.config.jobStartTimeoutS) {
        const after =
          blocked.fatal === true ? "" : ` after waiting ${this.config.jobStartTimeoutS} s (jobStartTimeoutS)`;
        await this.rounds.failStalled(job, `round ${job.round} could not start${after}: ${blocked.reason}`);
        this.changes?.changed({ jobId: job.id, what: "ended" });
      } else {
        const message = `round ${job.round} cannot start yet: ${blocked.reason}`;
        await this.rounds.setStatusMessage(job, message);
        if (job.statusMessage !== message) this.changes?.changed({ jobId: job.id, what: "status" });
      }
      return false;
    }
    const kind = job.status === "evaluating" ? "evaluate" : "train";
    await this.rounds.setStatusMessage(job, null);
    let selected = online;
    if (kind === "train") {
      const { fraction, min, max } = job.spec.clients;
      selected = sample(online, Math.min(max, online.length, Math.max(min, Math.round(fraction * online.length))));
    }
    const { round, assignments } = await this.rounds.open(job, kind, selected);
    if (kind === "train") await this.secAgg.start(job, round, selected);
    for (const assignment of assignments) this.#send(job, round, assignment);
    return true;
  }

  /**
   * Why the job's next round cannot open now (`fatal`: it never will), or undefined when it can; `online` is who of
   * its participants is online.
   */
  async #blocked(job: JobEntity, online: readonly string[]): Promise<{ reason: string; fatal?: boolean } | undefined> {
    if (job.onChain && job.round === 0 && job.status === "running") {
      const acceptance = await this.rounds.acceptance(job);
      if (acceptance.state === "failed") {
        return { reason: `TrainingJobs.acceptJob(${job.id}) failed: ${acceptance.detail}`, fatal: true };
      }
      if (acceptance.state === "waiting") {
        return {
          reason: `waiting for TrainingJobs.acceptJob(${job.id}) to be confirmed on chain (${acceptance.detail})`,
        };
      }
    }
    if (job.status === "evaluating") {
      return online.length > 0 ? undefined : { reason: "no admitted trainer is online to evaluate the final model" };
    }
    const { min } = job.spec.clients;
    const datasets = new Set(job.spec.datasetIds).size;
    if (datasets < min) {
      return {
        reason: `clients.min is ${min} but the job names only ${datasets} dataset(s) (${job.spec.datasetIds.join(", ")}), so it can never have ${min} trainers`,
      };
    }
    if (online.length < min) {
      const attested = job.spec.attestation?.required === true ? " and attested on AttestationRegistry" : "";
      return {
        reason: `${online.length} of the ${min} admitted trainers needed (clients.min) are online${attested} for datasets ${job.spec.datasetIds.join(", ")}`,
      };
    }
    return undefined;
  }

  /** Since when the job has waited to open its next round: its creation, or the end of its previous round. */
  async #waitingSince(job: JobEntity): Promise<Date> {
    if (job.round === 0) return job.createdAt;
    const previous = await this.roundRows.findOne(job.id, job.round - 1);
    return previous?.finishedAt ?? job.updatedAt;
  }

  /**
   * Closes a collecting round once every selected trainer answered or the deadline passed with enough answers. Short
   * of answers, it asks admitted trainers online not yet asked (extending the deadline); with none, it fails the job
   * at the deadline.
   */
  async #collect(job: JobEntity, round: RoundEntity): Promise<boolean> {
    if (round.kind === "train" && job.spec.secureAggregation !== undefined) return this.#collectSecAgg(job, round);
    // Counted in the database: reading every assignment at each kick cost a statement row per trainer.
    const { total, answered, useful } = await this.assignments.countRound(job.id, round.round);
    const needed = round.kind === "train" ? job.spec.clients.min : 1;
    const expired = Date.now() >= round.deadline.getTime();
    if (useful >= needed && (answered === total || expired)) {
      await this.rounds.close(job.id, round.round);
      return true;
    }
    if (!expired && answered < total) return false;
    const assignments = await this.assignments.findByRound(job.id, round.round);
    // Not enough answers: replace drop-outs and refusers with admitted trainers not yet asked, and wait longer.
    const asked = new Set(assignments.map((a) => a.trainer));
    const fresh = (await this.#onlineParticipants(job)).filter((trainer) => !asked.has(trainer));
    const missing = needed - useful;
    if (fresh.length === 0 && answered === assignments.length) {
      // Every trainer asked declined and nobody else is online yet: owners still attesting may be admitted before
      // the deadline (each tick looks again), so the job fails only once it has passed.
      if (!expired) return false;
      await this.rounds.fail(
        job,
        `round ${round.round}: ${useful} of the ${needed} answers needed, and every admitted trainer online declined (${assignments
          .map((a) => `${a.trainer}: ${a.reason ?? a.status}`)
          .join("; ")})`,
      );
      return false;
    }
    if (round.extensions >= this.config.maxDeadlineExtensions) {
      await this.rounds.failStalled(
        job,
        `round ${round.round}: ${useful} of the ${needed} answers needed after ${round.extensions} deadline extension(s) (maxDeadlineExtensions ${this.config.maxDeadlineExtensions}); ${assignments
          .map((a) => `${a.trainer}: ${a.reason ?? a.status}`)
          .join("; ")}`,
      );
      return false;
    }
    await this.rounds.topUp(job, sample(fresh, missing));
    this.#logger.warn(
      `job ${job.id} round ${round.round}: ${useful}/${needed} answers; asked ${Math.min(missing, fresh.length)} more, deadline extended (${round.extensions + 1} of ${this.config.maxDeadlineExtensions})`,
    );
    await this.#sendAll(job);
    return false;
  }

  /**
   * A SecAgg+ round's first three stages (`SecAggRounds.step`): its trainers are fixed when it opens (no top-up, no
   * deadline extension: a stage that expires goes on with whoever answered). Once the masked inputs are in, the
   * round freezes and its survivors are asked to unmask. A protocol abort (too few trainers or shares left) fails
   * the job: the round cannot finish without publishing a wrong or under-protected sum.
   */
  async #collectSecAgg(job: JobEntity, round: RoundEntity): Promise<boolean> {
    if (!this.secAgg.has(job.id, round.round)) {
      await this.rounds.fail(job, lostSecAgg(round.round));
      return false;
    }
    try {
      if (this.secAgg.step(job, await this.assignments.countRound(job.id, round.round)) === "wait") return false;
      await this.rounds.close(job.id, round.round);
      await this.secAgg.collectMasked(job, round.round);
      return true;
    } catch (error) {
      if (!(error instanceof SecAggAbortedError)) throw error;
      this.secAgg.end(job.id, round.round);
      await this.rounds.fail(job, `round ${round.round}: secure aggregation aborted: ${error.message}`);
      return false;
    }
  }

  /** A frozen SecAgg+ round: waits for the unmasking, then aggregates the sum; whether the round finished. */
  async #unmask(job: JobEntity, round: RoundEntity): Promise<boolean> {
    if (!this.secAgg.isUnmasking(job.id, round.round)) {
      await this.rounds.fail(job, lostSecAgg(round.round));
      return false;
    }
    try {
      const outcome = this.secAgg.outcome(job.id, round.round);
      if (outcome === undefined) return false;
      await this.rounds.aggregateSecAgg(job, round, outcome);
      this.secAgg.end(job.id, round.round);
      return true;
    } catch (error) {
      if (!(error instanceof SecAggAbortedError)) throw error;
      this.secAgg.end(job.id, round.round);
      await this.rounds.fail(job, `round ${round.round}: secure aggregation aborted: ${error.message}`);
      return false;
    }
  }

  /**
   * The admitted trainers online now, in order; for a job requiring attested trainers only those whose key counts
   * as attested on AttestationRegistry at the confirmed head (so no trainer is asked for an update it would be
   * refused: its record may still be on its way through the outbox).
   */
  async #onlineParticipants(job: JobEntity): Promise<string[]> {
    const participants = (await this.participants.findByJob(job.id)).map((p) => p.trainer);
    const connected = await this.sessions.onlineAmong(participants);
    const online = participants.filter((trainer) => connected.has(trainer)).sort();
    const requirement = job.spec.attestation;
    if (requirement?.required !== true) return online;
    const reader = this.attested;
    if (reader === undefined) return [];
    const refusals = await Promise.all(online.map((trainer) => reader.refusal(trainer, requirement.kinds)));
    return online.filter((_, index) => refusals[index] === undefined);
  }

  async #sendAll(job: JobEntity): Promise<void> {
    const round = await this.roundRows.findOne(job.id, job.round);
    if (round === null) return;
    const pending = await this.assignments.pendingInRound(job.id, job.round);
    for (const assignment of pending) this.#send(job, round, assignment);
  }

  #send(job: JobEntity, round: RoundEntity, assignment: AssignmentEntity): void {
    const event = round.kind === "train" ? SOCKET_EVENTS.instruction : SOCKET_EVENTS.evaluate;
    this.sessions.send(assignment.trainer, event, this.rounds.instruction(job, round, assignment));
  }
}
