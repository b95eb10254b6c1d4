import { createHash } from "node:crypto";
import { Inject, Injectable, Logger } from "@nestjs/common";
import { InjectDataSource } from "@nestjs/typeorm";
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
import type { DataSource } from "typeorm";
import { BlobStore } from "../blobs/blob-store.js";
import { COORDINATOR_CONFIG } from "../common/tokens.js";
import type { CoordinatorConfig } from "../config/coordinator-config.js";
import { JobEntity } from "../jobs/job.entity.js";
import { ParticipantEntity } from "../trainers/participant.entity.js";
import { AssignmentEntity } from "./assignment.entity.js";
import { RoundEntity } from "./round.entity.js";
import { UpdateEntity } from "./update.entity.js";
import { UpdateRejectedError } from "./update-rejected-error.js";

/**
 * Validates and stores trainers' updates: EIP-712 signature by the logged-in trainer, selected for this round with
 * this nonce, once, for its own dataset; bytes matching the declared hash, the job's layout, finite and within
 * the norm bound. Only then is the update persisted (blob first, then the row, atomically with the assignment).
 */
@Injectable()
export class UpdateIntake {
  readonly #logger = new Logger("updates");

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(BlobStore) private readonly blobs: BlobStore,
    @Inject(COORDINATOR_CONFIG) private readonly config: CoordinatorConfig,
  ) {}

  async submit(sender: Address, update: SignedModelUpdate, bytes: Uint8Array): Promise<void> {
    try {
      await this.#submit(sender, update, bytes);
      this.#logger.log(`job ${update.jobId} round ${update.round}: update from ${sender} accepted`);
    } catch (error) {
      if (error instanceof UpdateRejectedError) {
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
      this.db.getRepository(JobEntity).findOneBy({ id: update.jobId }),
      this.db.getRepository(RoundEntity).findOneBy({ jobId: update.jobId, round: update.round }),
      this.db.getRepository(AssignmentEntity).findOneBy(key),
      this.db.getRepository(ParticipantEntity).findOneBy({ jobId: update.jobId, trainer: update.trainer }),
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

    const { cid } = await this.blobs.put(bytes);
    await this.db.transaction(async (manager) => {
      // Holding the round row shared means the round cannot close between this check and the insert.
      const [locked] = (await manager.query("SELECT status FROM rounds WHERE job_id = $1 AND round = $2 FOR SHARE", [
        update.jobId,
        update.round,
      ])) as { status: string }[];
      if (locked?.status !== "collecting") throw new UpdateRejectedError("round-closed", "the round closed meanwhile");
      const claimed = await manager.update(
        AssignmentEntity,
        { ...key, status: "pending" },
        { status: "submitted", reason: null },
      );
      if (claimed.affected !== 1) throw new UpdateRejectedError("duplicate", "an update was already accepted");
      await manager.insert(UpdateEntity, {
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
    });
  }

  async #noteRejection(update: SignedModelUpdate, reason: string): Promise<void> {
    await this.db
      .getRepository(AssignmentEntity)
      .update({ jobId: update.jobId, round: update.round, trainer: update.trainer, status: "pending" }, { reason })
      .catch(() => undefined);
  }
}
