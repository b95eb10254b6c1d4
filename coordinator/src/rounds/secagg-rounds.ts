import { Inject, Injectable, Logger } from "@nestjs/common";
import {
  type Address,
  type JobId,
  layoutLength,
  type SecAggAdvertiseKeys,
  type SecAggInstruction,
  type SecAggShareKeys,
  type SecAggUnmasking,
  SOCKET_EVENTS,
  secAggScale,
  TributaryError,
  tributaryDomain,
} from "@tributary/protocol";
import { bytesToWords, type SecAggResult, type SecAggRoundContext, SecAggServer } from "@tributary/secure-aggregation";
import { BlobStore } from "../blobs/blob-store.js";
import { COORDINATOR_CONFIG } from "../common/tokens.js";
import type { CoordinatorConfig } from "../config/coordinator-config.js";
import type { JobEntity } from "../jobs/job.entity.js";
import { ParticipantRepository } from "../jobs/participant.repository.js";
import { INSTRUCTION_SENDER, type InstructionSender } from "./instruction-sender.js";
import type { RoundEntity } from "./round.entity.js";
import { UpdateRepository } from "./update.repository.js";

/** One SecAgg+ instance: the coordinator's state machine and when its current stage stops waiting. */
interface Session {
  readonly server: SecAggServer;
  readonly instruction: SecAggInstruction;
  /** Unix ms; the AdvertiseKeys stage waits until the round's deadline (the trainers train first). */
  stageDeadline: number;
  result?: SecAggResult;
}

/** What a finished SecAgg round hands to aggregation. */
export interface SecAggOutcome {
  readonly result: SecAggResult;
  readonly instruction: SecAggInstruction;
}

/** Raised when a trainer's SecAgg message cannot be taken: no such round here, or not the trainer's own. */
export class SecAggRoundError extends TributaryError {
  constructor(code: "SECAGG_NO_ROUND" | "SECAGG_NOT_YOURS", message: string) {
    super(code, message);
  }
}

/**
 * The SecAgg+ stages of `secureAggregation` jobs' train rounds (Bell et al. 2020), driven by `RoundDriver`:
 *
 * 1. AdvertiseKeys: each selected trainer trains, then sends its signed keys; the stage closes when every trainer
 *    that did not refuse has advertised, or at the round's deadline. Each advertiser is sent its neighbours' keys.
 * 2. ShareKeys: sealed shares, relayed to their recipients; closes when every advertiser shared, or after
 *    `roundTimeoutS`.
 * 3. MaskedInputCollection: the masked input is the round's signed `update` (`UpdateIntake` asks `acceptsUpdate`),
 *    stored like any update; closes when every sharer's is in, or after `roundTimeoutS`. The round then freezes
 *    (`aggregating`) and the survivors are sent the unmasking request.
 * 4. Unmasking: closes when every survivor answered, or after `roundTimeoutS`; the server removes the masks and
 *    only the sum is kept (`outcome`).
 *
 * The state lives in this process (the replica holding the job's lease): a restart loses it, and the driver then
 * fails the job rather than run the round in the clear. Trainers connected to another replica cannot take part yet.
 */
@Injectable()
export class SecAggRounds {
  readonly #logger = new Logger("secagg");
  readonly #sessions = new Map<string, Session>();

  constructor(
    @Inject(COORDINATOR_CONFIG) private readonly config: CoordinatorConfig,
    @Inject(INSTRUCTION_SENDER) private readonly sender: InstructionSender,
    @Inject(ParticipantRepository) private readonly participants: ParticipantRepository,
    @Inject(UpdateRepository) private readonly updates: UpdateRepository,
    @Inject(BlobStore) private readonly blobs: BlobStore,
  ) {}

  /** Starts the instance of a train round that was just opened for `trainers`. */
  async start(job: JobEntity, round: RoundEntity, trainers: readonly string[]): Promise<void> {
    const spec = job.spec.secureAggregation;
    if (spec === undefined) return;
    const records = (await this.participants.findByJob(job.id))
      .filter((participant) => trainers.includes(participant.trainer))
      .map((participant) => participant.recordCount ?? 0);
    const participants = [...trainers].sort() as Address[];
    const instruction: SecAggInstruction = {
      participants,
      threshold: spec.threshold,
      neighbours: spec.neighbours,
      clip: spec.quantisation.clip,
      scale: secAggScale(spec, job.spec.clients.max),
      exampleCap: Math.max(1, ...records),
    };
    const context: SecAggRoundContext = {
      jobId: job.id as JobId,
      round: round.round,
      domain: tributaryDomain(this.config.chainId, this.config.verifyingContract),
      participants,
      threshold: spec.threshold,
      neighbours: spec.neighbours,
      length: layoutLength(job.layout),
    };
    this.#sessions.set(key(job.id, round.round), {
      server: new SecAggServer(context),
      instruction,
      stageDeadline: round.deadline.getTime(),
    });
  }

  /** The SecAgg part of a selected trainer's instruction; undefined when the round runs no SecAgg here. */
  instructionOf(jobId: string, round: number): SecAggInstruction | undefined {
    return this.#sessions.get(key(jobId, round))?.instruction;
  }

  /** Whether this process holds the round's instance (false after a restart, or on another replica). */
  has(jobId: string, round: number): boolean {
    return this.#sessions.has(key(jobId, round));
  }

  advertise(sender: Address, message: SecAggAdvertiseKeys): void {
    this.#session(sender, message).server.receiveAdvertisement(message);
  }

  share(sender: Address, message: SecAggShareKeys): void {
    this.#session(sender, message).server.receiveShares(message);
  }

  unmasking(sender: Address, message: SecAggUnmasking): void {
    this.#session(sender, message).server.receiveUnmasking(message);
  }

  /**
   * Why `trainer`'s update for this round cannot be its masked input, or undefined when it can: the round must be
   * collecting masked inputs and the trainer must have shared its keys.
   */
  refusesUpdate(jobId: string, round: number, trainer: string): string | undefined {
    const session = this.#sessions.get(key(jobId, round));
    if (session === undefined) return "this coordinator runs no secure aggregation for this round";
    const { stage } = session.server.progress();
    if (stage !== "mask")
      return `the round's secure aggregation is at its ${stage} stage, not collecting masked inputs`;
    if (!session.server.hasShared(trainer as Address)) return "this trainer did not share its keys in this round";
    return undefined;
  }

  /**
   * Advances a collecting round's first three stages as far as they can go now. Returns `close` when the masked
   * inputs are in (or their stage expired): the caller freezes the round and calls `collectMasked`.
   */
  step(job: JobEntity, counts: { total: number; answered: number; useful: number }): "wait" | "close" {
    const session = this.#sessions.get(key(job.id, job.round)) as Session;
    const { server } = session;
    const now = Date.now();
    const progress = server.progress();
    const expired = now >= session.stageDeadline;
    const stageMs = job.spec.roundTimeoutS * 1000;
    if (progress.stage === "advertise") {
      // Trainers that refused the round (its privacy budget, the owner's terms) will not advertise.
      const refused = counts.answered - counts.useful;
      if (progress.advertised + refused < counts.total && !expired) return "wait";
      const advertisers = server.closeAdvertising();
      session.stageDeadline = now + stageMs;
      for (const trainer of advertisers) {
        this.sender.send(trainer, SOCKET_EVENTS.secAggNeighbourKeys, server.neighbourKeysFor(trainer));
      }
      this.#logger.log(`job ${job.id} round ${job.round}: ${advertisers.length} trainer(s) advertised keys`);
      return "wait";
    }
    if (progress.stage === "share") {
      if (progress.shared < progress.advertised && !expired) return "wait";
      const sharers = server.closeSharing();
      session.stageDeadline = now + stageMs;
      for (const trainer of sharers) this.sender.send(trainer, SOCKET_EVENTS.secAggShares, server.deliveryFor(trainer));
      this.#logger.log(`job ${job.id} round ${job.round}: ${sharers.length} trainer(s) shared keys`);
      return "wait";
    }
    // MaskedInputCollection: the masked inputs are the round's accepted updates.
    return counts.useful >= progress.shared || expired ? "close" : "wait";
  }

  /** After the round froze: feeds the stored masked inputs to the server and asks the survivors to unmask. */
  async collectMasked(job: JobEntity, round: number): Promise<void> {
    const session = this.#sessions.get(key(job.id, round)) as Session;
    for (const update of await this.updates.forAggregation(job.id, round)) {
      if (!session.server.hasShared(update.trainer as Address)) continue;
      session.server.acceptMaskedInput(update.trainer as Address, bytesToWords(await this.blobs.get(update.cid)));
    }
    const request = session.server.closeMaskedInputs();
    session.stageDeadline = Date.now() + job.spec.roundTimeoutS * 1000;
    for (const trainer of request.survivors) this.sender.send(trainer, SOCKET_EVENTS.secAggUnmask, request);
    this.#logger.log(
      `job ${job.id} round ${round}: ${request.survivors.length} masked input(s), ${request.dropped.length} dropped after sharing; unmasking`,
    );
  }

  /** Whether the round's masked inputs were collected (it is unmasking, or done). */
  isUnmasking(jobId: string, round: number): boolean {
    const stage = this.#sessions.get(key(jobId, round))?.server.progress().stage;
    return stage === "unmask" || stage === "done";
  }

  /**
   * The round's unmasked sum once every survivor answered the unmasking or its stage expired; undefined while it
   * waits. Throws `SecAggAbortedError` when too few shares came back to remove every mask.
   */
  outcome(jobId: string, round: number): SecAggOutcome | undefined {
    const session = this.#sessions.get(key(jobId, round)) as Session;
    if (session.result === undefined) {
      const progress = session.server.progress();
      const survivors = progress.masked;
      if (progress.unmasked < survivors && Date.now() < session.stageDeadline) return undefined;
      session.result = session.server.finish();
    }
    return { result: session.result, instruction: session.instruction };
  }

  /** Forgets a round's instance (aggregated, or its job failed). */
  end(jobId: string, round: number): void {
    this.#sessions.delete(key(jobId, round));
  }

  /** Forgets every instance of a job that ended (completed, failed, cancelled mid-round): their masked inputs too. */
  endJob(jobId: string): void {
    for (const known of this.#sessions.keys()) if (known.startsWith(`${jobId}:`)) this.#sessions.delete(known);
  }

  #session(sender: Address, message: { jobId: string; round: number; trainer: Address }): Session {
    if (message.trainer !== sender) {
      throw new SecAggRoundError("SECAGG_NOT_YOURS", `a SecAgg message of ${message.trainer} sent by ${sender}`);
    }
    const session = this.#sessions.get(key(message.jobId, message.round));
    if (session === undefined) {
      throw new SecAggRoundError(
        "SECAGG_NO_ROUND",
        `no secure aggregation of job ${message.jobId} round ${message.round} runs on this coordinator`,
      );
    }
    return session;
  }
}

function key(jobId: string, round: number): string {
  return `${jobId}:${round}`;
}
