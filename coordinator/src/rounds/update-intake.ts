import { createHash } from "node:crypto";
import { Inject, Injectable, Logger, Optional } from "@nestjs/common";
import { validateUpdate } from "@tributary/aggregation";
import {
  type Address,
  bytesToWeights,
  layoutLength,
  recoverModelUpdateSigner,
  type SignedModelUpdate,
  TributaryError,
  tributaryDomain,
} from "@tributary/protocol";
import { BlobStore, contentId } from "../blobs/blob-store.js";
import { AttestationRegistryReader } from "../chain/attestation-registry-reader.js";
import { CoordinatorMetrics } from "../common/coordinator-metrics.js";
import { COORDINATOR_CONFIG } from "../common/tokens.js";
import type { CoordinatorConfig } from "../config/coordinator-config.js";
import { TransactionRunner } from "../database/transaction-runner.repository.js";
import { JobRepository } from "../jobs/job.repository.js";
import { ParticipantRepository } from "../jobs/participant.repository.js";
import { AssignmentRepository } from "./assignment.repository.js";
import { RoundRepository } from "./round.repository.js";
import { UpdateRepository } from "./update.repository.js";
import { UpdateRejectedError } from "./update-rejected-error.js";

/**
 * Validates and stores trainers' updates: EIP-712 signature by the logged-in trainer, selected for this round with
 * this nonce, once, for its own dataset; for a job requiring attested trainers, the key attested and unexpired on
 * AttestationRegistry (at the confirmed head) with one of the job's kinds; bytes matching the declared hash, the job's layout, finite and within
 * the norm bound. Only then is the update persisted: the row, atomically with the assignment, then the blob before it commits.
 */
@Injectable()
export class UpdateIntake {
  readonly #logger = new Logger("updates");

  constructor(
    @Inject(TransactionRunner) private readonly transactions: TransactionRunner,
    @Inject(JobRepository) private readonly jobs: JobRepository,
    @Inject(RoundRepository) private readonly rounds: RoundRepository,
    @Inject(AssignmentRepository) private readonly assignments: AssignmentRepository,
    @Inject(UpdateRepository) private readonly updates: UpdateRepository,
    @Inject(ParticipantRepository) private readonly participants: ParticipantRepository,
    @Inject(BlobStore) private readonly blobs: BlobStore,
    @Inject(COORDINATOR_CONFIG) private readonly config: CoordinatorConfig,
    @Optional() @Inject(AttestationRegistryReader) private readonly attested?: AttestationRegistryReader,
    @Optional() @Inject(CoordinatorMetrics) private readonly metrics?: CoordinatorMetrics,
  ) {}

  async submit(sender: Address, update: SignedModelUpdate, bytes: Uint8Array): Promise<void> {
    try {
      await this.#submit(sender, update, bytes);
      this.metrics?.updateAccepted();
      this.#logger.log(`job ${update.jobId} round ${update.round}: update from ${sender} accepted`);
    } catch (error) {
      if (error instanceof UpdateRejectedError) {
        this.metrics?.updateRejected(error.reason);
        this.#logger.warn(`job ${update.jobId} round ${update.round}: ${sender}: ${error.message}`);
        if (update.trainer === sender && error.reason !== "duplicate") await this.#noteRejection(update, error.message);
      }
      throw error;
    }
  }

  async #submit(sender: Address, update: SignedModelUpdate, bytes: Uint8Array): Promise<void> {
    if (update.trainer !== sender) {
      throw new UpdateRejectedError("trainer-mismatch", `signed for ${update.trainer} but sent by ${sender}`);
    }
    const domain = tributaryDomain(this.config.chainId, this.config.verifyingContract);
    const signer = recoverModelUpdateSigner(domain, update);
    if (signer !== update.trainer) throw new UpdateRejectedError("bad-signature", `the signature is by ${signer}`);

    const key = { jobId: update.jobId, round: update.round, trainer: update.trainer };
    const [job, round, assignment, participant] = await Promise.all([
      this.jobs.findById(update.jobId),
      this.rounds.findOne(update.jobId, update.round),
      this.assignments.find(key),
      this.participants.find(update.jobId, update.trainer),
    ]);
    if (job === null || job.status !== "running") {
      throw new UpdateRejectedError("job-not-running", `job ${update.jobId} is ${job?.status ?? "unknown"}`);
    }
    if (assignment === null || participant === null) {
      throw new UpdateRejectedError("not-selected", `not selected for round ${update.round}`);
    }
    if (assignment.nonce !== update.nonce)
      throw new UpdateRejectedError("nonce-mismatch", "the nonce is not this round's");
    if (assignment.status === "submitted") throw new UpdateRejectedError("duplicate", "an update was already accepted");
    if (round === null || round.status !== "collecting" || round.kind !== "train") {
      throw new UpdateRejectedError("round-closed", `round ${update.round} no longer takes updates`);
    }
    if (participant.datasetId !== update.datasetId) {
      throw new UpdateRejectedError("wrong-dataset", `joined with dataset ${participant.datasetId}`);
    }
    const requirement = job.spec.attestation;
    if (requirement?.required === true) {
      const refusal =
        this.attested === undefined
          ? "this coordinator has no AttestationRegistry configured"
          : await this.attested.refusal(update.trainer, requirement.kinds);
      if (refusal !== undefined) {
        throw new UpdateRejectedError("not-attested", `job ${update.jobId} accepts only attested trainers: ${refusal}`);
      }
    }
    const creditable = creditableExamples(participant.recordCount, job.spec);
    if (update.numExamples > creditable) {
      throw new UpdateRejectedError(
        "too-many-examples",
        `numExamples ${update.numExamples} exceeds the ${creditable} examples dataset ${update.datasetId} can have trained on (its committed record count is ${participant.recordCount ?? "unknown: rejoin with its manifest"})`,
      );
    }
    const hash = `0x${createHash("sha256").update(bytes).digest("hex")}`;
    if (hash !== update.updateHash) throw new UpdateRejectedError("hash-mismatch", `the bytes hash to ${hash}`);
    const length = layoutLength(job.layout);
    try {
      validateUpdate(bytesToWeights(bytes), {
        length,
        ...(job.spec.maxUpdateNorm === undefined ? {} : { maxNorm: job.spec.maxUpdateNorm }),
      });
    } catch (error) {
      if (error instanceof TributaryError || error instanceof RangeError) {
        throw new UpdateRejectedError("invalid-update", error.message);
      }
      throw error;
    }

    const { cid } = contentId(bytes);
    await this.transactions.run(async (tx) => {
      // Holding the round row shared means the round cannot close between this check and the insert.
      const status = await this.rounds.statusForShare(tx, update.jobId, update.round);
      if (status !== "collecting") throw new UpdateRejectedError("round-closed", "the round closed meanwhile");
      if (!(await this.assignments.claimForUpdate(tx, key))) {
        throw new UpdateRejectedError("duplicate", "an update was already accepted");
      }
      await this.updates.add(tx, {
        ...key,
        datasetId: update.datasetId,
        numExamples: update.numExamples,
        updateHash: update.updateHash,
        cid,
        metrics: update.metrics,
        epsilonSpent: update.epsilonSpent,
        delta: update.delta,
        nonce: update.nonce,
        signature: update.signature,
        receivedAt: new Date(),
      });
      // The bytes are stored only once the row is in, inside its transaction: a refused or failed insert leaves
      // no orphan blob, and a failed write rolls the row back.
      await this.blobs.put(bytes);
    });
  }

  async #noteRejection(update: SignedModelUpdate, reason: string): Promise<void> {
    await this.assignments
      .noteRejection({ jobId: update.jobId, round: update.round, trainer: update.trainer }, reason)
      .catch(() => undefined);
  }
}

/**
 * The most examples an update may claim: a local step reads examples of the dataset's committed records, so an
 * update cannot have trained on more distinct examples than the manifest's record count; and the steps the
 * hyper-parameters allow (`localEpochs` passes of ⌈records / batchSize⌉ batches) read at most
 * `localEpochs × ⌈records / batchSize⌉ × batchSize` examples, which is never less than the record count, so the
 * record count is the cap. Zero when the participant has no committed count (admitted before counts were
 * committed): it must rejoin with its manifest.
 */
function creditableExamples(
  recordCount: number | null,
  hyperParams: { readonly localEpochs: number; readonly batchSize: number },
): number {
  if (recordCount === null) return 0;
  const stepped = hyperParams.localEpochs * Math.ceil(recordCount / hyperParams.batchSize) * hyperParams.batchSize;
  return Math.min(recordCount, stepped);
}
