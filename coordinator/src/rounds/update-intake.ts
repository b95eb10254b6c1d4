import { Inject, Injectable, Logger, type OnApplicationShutdown, Optional } from "@nestjs/common";
import { validateUpdate } from "@tributary/aggregation";
import { type Address, layoutLength, type SignedModelUpdate, TributaryError, weightsView } from "@tributary/protocol";
import { RecoveryPool } from "@tributary/signatures";
import { BlobStore, contentId } from "../blobs/blob-store.js";
import { AttestationRegistryReader } from "../chain/attestation-registry-reader.js";
import { CoordinatorMetrics } from "../common/coordinator-metrics.js";
import { COORDINATOR_CONFIG } from "../common/tokens.js";
import type { CoordinatorConfig } from "../config/coordinator-config.js";
import { AssignmentRepository } from "./assignment.repository.js";
import { ModelUpdateSigner } from "./model-update-signer.js";
import { RoundContexts } from "./round-contexts.js";
import { SecAggRounds } from "./secagg-rounds.js";
import { UpdateRepository } from "./update.repository.js";
import { type BatchOutcome, UpdateBatchWriter } from "./update-batch-writer.js";
import { UpdateRejectedError } from "./update-rejected-error.js";

/**
 * Validates and stores trainers' updates: EIP-712 signature by the logged-in trainer, selected for this round with
 * this nonce, once, for its own dataset; for a job requiring attested trainers, the key attested and unexpired on
 * AttestationRegistry (at the confirmed head) with one of the job's kinds; bytes matching the declared hash, the
 * job's layout, finite and within the norm bound. The checks read the round's context once per round
 * (`RoundContexts`). Only then is the update persisted: its blob (appended to the round's segment file and made
 * durable with the other updates of the moment), then its row together with the assignment's claim in one statement
 * shared with the other updates of the moment (`UpdateBatchWriter`), which checks the round, the job and the
 * assignment again in the database; the trainer's acknowledgement follows.
 */
@Injectable()
export class UpdateIntake implements OnApplicationShutdown {
  readonly #logger = new Logger("updates");
  #signers: ModelUpdateSigner | undefined;
  #pool: RecoveryPool | undefined;

  constructor(
    @Inject(RoundContexts) private readonly contexts: RoundContexts,
    @Inject(UpdateBatchWriter) private readonly batches: UpdateBatchWriter,
    @Inject(AssignmentRepository) private readonly assignments: AssignmentRepository,
    @Inject(UpdateRepository) private readonly updates: UpdateRepository,
    @Inject(BlobStore) private readonly blobs: BlobStore,
    @Inject(COORDINATOR_CONFIG) private readonly config: CoordinatorConfig,
    @Inject(SecAggRounds) private readonly secAgg: SecAggRounds,
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
    const signer = await this.#signer(update);
    if (signer !== update.trainer) throw new UpdateRejectedError("bad-signature", `the signature is by ${signer}`);

    const { job, round, assignments, participants } = await this.contexts.get(
      update.jobId,
      update.round,
      update.trainer,
    );
    const assignment = assignments.get(update.trainer);
    const participant = participants.get(update.trainer);
    if (job === null || job.status !== "running") {
      throw new UpdateRejectedError("job-not-running", `job ${update.jobId} is ${job?.status ?? "unknown"}`);
    }
    if (assignment === undefined || participant === undefined) {
      throw new UpdateRejectedError("not-selected", `not selected for round ${update.round}`);
    }
    if (assignment.nonce !== update.nonce)
      throw new UpdateRejectedError("nonce-mismatch", "the nonce is not this round's");
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
    // One SHA-256 of the bytes: it is both the header's updateHash and the blob's CID.
    const id = contentId(bytes);
    if (id.sha256 !== update.updateHash)
      throw new UpdateRejectedError("hash-mismatch", `the bytes hash to ${id.sha256}`);
    const length = layoutLength(job.layout);
    if (job.spec.secureAggregation !== undefined) {
      // The update is a SecAgg masked input: uniform words modulo 2^32, neither floats nor bounded in norm.
      const refusal = this.secAgg.refusesUpdate(update.jobId, update.round, update.trainer);
      if (refusal !== undefined) throw new UpdateRejectedError("secagg-stage", refusal);
      if (bytes.byteLength !== 4 * length) {
        throw new UpdateRejectedError(
          "invalid-update",
          `a masked input of ${bytes.byteLength} bytes, not ${4 * length}`,
        );
      }
    } else {
      try {
        validateUpdate(weightsView(bytes), {
          length,
          ...(job.spec.maxUpdateNorm === undefined ? {} : { maxNorm: job.spec.maxUpdateNorm }),
        });
      } catch (error) {
        if (error instanceof TributaryError || error instanceof RangeError) {
          throw new UpdateRejectedError("invalid-update", error.message);
        }
        throw error;
      }
    }

    // The bytes are stored first (appended to the round's segment with the other updates of this moment, durable
    // before the row is written), then the row with every other update of this moment in one statement. A refused
    // or failed row takes back the blob this call created, unless an accepted update holds the same bytes.
    const created = await this.blobs.putInSegment(`job-${update.jobId}-round-${update.round}`, bytes, id);
    let outcome: BatchOutcome;
    try {
      outcome = await this.batches.write({
        jobId: update.jobId,
        round: update.round,
        trainer: update.trainer,
        datasetId: update.datasetId,
        numExamples: update.numExamples,
        updateHash: update.updateHash,
        cid: id.cid,
        metrics: update.metrics,
        epsilonSpent: update.epsilonSpent,
        delta: update.delta,
        nonce: update.nonce,
        signature: update.signature,
        receivedAt: new Date(),
      });
    } catch (error) {
      await this.#takeBack(created, id.cid);
      throw error;
    }
    if (outcome === "accepted") return;
    await this.#takeBack(created, id.cid);
    if (outcome === "duplicate") throw new UpdateRejectedError("duplicate", "an update was already accepted");
    // The database found the round closed or the job stopped: the kept context was stale.
    this.contexts.forget(update.jobId, update.round);
    throw new UpdateRejectedError("round-closed", "the round closed meanwhile");
  }

  /** Removes a blob this call created for an update that did not go in (unless another update holds it). */
  async #takeBack(created: boolean, cid: string): Promise<void> {
    if (created && !(await this.updates.referencesCid(cid))) await this.blobs.delete(cid);
  }

  /**
   * Who signed the update's EIP-712 header (libsecp256k1, as protocol's recovery answers), recovered on the
   * `signatureWorkers` worker threads.
   */
  #signer(update: SignedModelUpdate): Promise<Address> {
    this.#signers ??= new ModelUpdateSigner(this.config.chainId, this.config.verifyingContract);
    this.#pool ??= new RecoveryPool(this.config.signatureWorkers);
    return this.#signers.signerOn(this.#pool, update);
  }

  /** Stops the recovery workers once no more updates come in (later ones would be recovered on the event loop). */
  async onApplicationShutdown(): Promise<void> {
    await this.#pool?.close();
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
 * record count is the cap, unless `maxLocalSteps` stops the round earlier: then at most `maxLocalSteps × batchSize`.
 * Zero when the participant has no committed count (admitted before counts were committed): it must rejoin with
 * its manifest.
 */
function creditableExamples(
  recordCount: number | null,
  hyperParams: {
    readonly localEpochs: number;
    readonly batchSize: number;
    readonly maxLocalSteps?: number | undefined;
  },
): number {
  if (recordCount === null) return 0;
  const steps = Math.min(
    hyperParams.localEpochs * Math.ceil(recordCount / hyperParams.batchSize),
    hyperParams.maxLocalSteps ?? Number.POSITIVE_INFINITY,
  );
  return Math.min(recordCount, steps * hyperParams.batchSize);
}
