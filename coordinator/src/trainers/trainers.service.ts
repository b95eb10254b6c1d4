import { randomBytes } from "node:crypto";
import { Inject, Injectable, Logger } from "@nestjs/common";
import {
  type Address,
  type Attest,
  type Bytes32,
  type DatasetManifest,
  type JobId,
  manifestCommitment,
  TributaryError,
} from "@tributary/protocol";
import { AttestationRegistrar } from "../attestation/attestation-registrar.js";
import { ChainDatasetRepository } from "../chain/chain-dataset.repository.js";
import { TransactionRunner } from "../database/transaction-runner.repository.js";
import { DatasetRepository } from "../datasets/dataset.repository.js";
import { DatasetManifestRepository } from "../datasets/dataset-manifest.repository.js";
import { JobRepository } from "../jobs/job.repository.js";
import type { ParticipantEntity } from "../jobs/participant.entity.js";
import { ParticipantRepository } from "../jobs/participant.repository.js";
import type { TrainerEntity } from "./trainer.entity.js";
import { TrainerRepository } from "./trainer.repository.js";
import { TrainerSessions } from "./trainer-sessions.js";

export class TrainerAuthError extends TributaryError {
  constructor(code: string, message: string) {
    super(code, message);
  }
}

/**
 * Trainer identity: login by key signature, admission to jobs by attestation under the coordinator's policy (the
 * attestation module's registrar verifies it and records hardware-attested keys on AttestationRegistry).
 */
@Injectable()
export class TrainersService {
  readonly #logger = new Logger("trainers");
  /** Attestation challenges handed out by `join`, per trainer and job; single use. */
  readonly #challenges = new Map<string, Bytes32>();

  constructor(
    @Inject(TrainerRepository) private readonly trainers: TrainerRepository,
    @Inject(ParticipantRepository) private readonly participantRows: ParticipantRepository,
    @Inject(JobRepository) private readonly jobs: JobRepository,
    @Inject(DatasetRepository) private readonly datasets: DatasetRepository,
    @Inject(ChainDatasetRepository) private readonly chainDatasets: ChainDatasetRepository,
    @Inject(DatasetManifestRepository) private readonly manifests: DatasetManifestRepository,
    @Inject(TrainerSessions) private readonly sessions: TrainerSessions,
    @Inject(AttestationRegistrar) private readonly registrar: AttestationRegistrar,
    @Inject(TransactionRunner) private readonly transactions: TransactionRunner,
  ) {}

  /**
   * Records the login of a trainer whose handshake sign-in verified as `address`: it must own `datasetId`.
   * Returns the running jobs on the dataset.
   */
  async login(address: Address, datasetId: string): Promise<{ jobs: JobId[] }> {
    await this.#checkDataset(address, datasetId);
    await this.trainers.recordLogin({ address, datasetId, lastSeenAt: new Date() });
    return { jobs: await this.openJobsFor(datasetId) };
  }

  /**
   * A trainer serves a dataset it owns: enrolled with this coordinator by it, or active on DatasetRegistry (the
   * on-chain owner is who round leaves name and payouts pay, so nobody else may train on its behalf).
   */
  async #checkDataset(address: string, datasetId: string): Promise<void> {
    const enrolled = await this.datasets.findById(datasetId);
    if (enrolled !== null) {
      if (enrolled.owner.toLowerCase() !== address.toLowerCase()) {
        throw new TrainerAuthError(
          "NOT_DATASET_OWNER",
          `dataset ${datasetId} is owned by ${enrolled.owner}, not ${address}: only its owner's key may train on it`,
        );
      }
      return;
    }
    const onChain = await this.chainDatasets.findById(datasetId);
    if (onChain === null || !onChain.active) {
      throw new TrainerAuthError("UNKNOWN_DATASET", `dataset ${datasetId} is not enrolled`);
    }
    if (onChain.owner !== address.toLowerCase()) {
      throw new TrainerAuthError(
        "NOT_DATASET_OWNER",
        `dataset ${datasetId} is owned on DatasetRegistry by ${onChain.owner}, not ${address}`,
      );
    }
  }

  /**
   * Accepts the logged-in trainer's dataset manifest if it hashes to the dataset's commitment (on DatasetRegistry,
   * or as enrolled here, where the enrolled record count must be the manifest's too) and records its record count.
   */
  async recordManifest(datasetId: string, manifest: DatasetManifest): Promise<{ recordCount: number }> {
    const commitment = await this.#commitmentOf(datasetId);
    const actual = manifestCommitment(manifest);
    if (commitment === undefined || actual.toLowerCase() !== commitment.toLowerCase()) {
      throw new TrainerAuthError(
        "MANIFEST_MISMATCH",
        `the manifest hashes to ${actual}, not to dataset ${datasetId}'s commitment ${commitment ?? "(none)"}`,
      );
    }
    const enrolled = await this.datasets.findById(datasetId);
    if (enrolled !== null && enrolled.recordCount !== manifest.recordCount) {
      throw new TrainerAuthError(
        "MANIFEST_MISMATCH",
        `the manifest counts ${manifest.recordCount} records; dataset ${datasetId} was enrolled with ${enrolled.recordCount}`,
      );
    }
    await this.manifests.record({
      datasetId,
      commitment: actual,
      recordCount: manifest.recordCount,
      manifest,
      receivedAt: new Date(),
    });
    return { recordCount: manifest.recordCount };
  }

  async #commitmentOf(datasetId: string): Promise<string | undefined> {
    const enrolled = await this.datasets.findById(datasetId);
    if (enrolled !== null) return enrolled.commitment;
    return (await this.chainDatasets.findById(datasetId))?.commitment;
  }

  /** The record count of the dataset's manifest, if one matching its current commitment was uploaded. */
  async #committedRecordCount(datasetId: string): Promise<number> {
    const [manifest, commitment] = await Promise.all([this.manifests.find(datasetId), this.#commitmentOf(datasetId)]);
    if (
      manifest === null ||
      commitment === undefined ||
      manifest.commitment.toLowerCase() !== commitment.toLowerCase()
    ) {
      throw new TrainerAuthError(
        "MANIFEST_REQUIRED",
        `send dataset ${datasetId}'s manifest (hashing to its commitment ${commitment ?? "(none)"}) before joining: its record count caps the examples an update may claim`,
      );
    }
    return manifest.recordCount;
  }

  /** Running jobs that train on this dataset. */
  async openJobsFor(datasetId: string): Promise<JobId[]> {
    return (await this.jobs.openJobsFor(datasetId)) as JobId[];
  }

  /** Step one of joining a job: a fresh nonce the trainer's enclave must bind into its attestation. */
  async challenge(trainer: Address, datasetId: string, jobId: JobId): Promise<Bytes32> {
    const open = await this.openJobsFor(datasetId);
    if (!open.includes(jobId)) {
      throw new TrainerAuthError("NOT_ELIGIBLE", `job ${jobId} is not running on dataset ${datasetId}`);
    }
    await this.#committedRecordCount(datasetId);
    const nonce = `0x${randomBytes(32).toString("hex")}` as Bytes32;
    this.#challenges.set(`${trainer}:${jobId}`, nonce);
    return nonce;
  }

  /**
   * Step two: verify the attestation (key, job and nonce bound) and admit the trainer to the job. A job that
   * requires attested trainers takes only a hardware attestation of its kinds whose measurement is allowlisted on
   * AttestationRegistry. A hardware-attested key is recorded there through the outbox, in the transaction that
   * admits it. This is what the socket gateway calls for the `attest` event.
   */
  async admit(trainer: Address, datasetId: string, attest: Attest): Promise<ParticipantEntity> {
    const recordCount = await this.#committedRecordCount(datasetId);
    const key = `${trainer}:${attest.jobId}`;
    const nonce = this.#challenges.get(key);
    if (nonce === undefined) throw new TrainerAuthError("NO_CHALLENGE", `ask to join job ${attest.jobId} first`);
    const verified = await this.registrar.verify({
      kind: attest.kind,
      document: attest.document,
      signer: trainer,
      jobId: attest.jobId,
      coordinatorNonce: nonce,
    });
    // Used up only by an attestation that verified: a malformed one leaves the challenge for the next attempt.
    this.#challenges.delete(key);
    const { claims } = verified;
    const job = await this.jobs.findById(attest.jobId);
    await this.registrar.checkRequirement(attest.jobId, job?.spec.attestation, verified);
    if (claims.simulated) {
      this.#logger.warn(`trainer ${trainer} joined job ${attest.jobId} with a SIMULATED attestation (no TEE)`);
    }
    const record = await this.registrar.planRecord(trainer, verified);
    return this.transactions.run(async (tx) => {
      const participant = await this.participantRows.admit(tx, {
        jobId: attest.jobId,
        trainer,
        datasetId,
        teeKind: claims.kind,
        simulated: claims.simulated,
        measurement: claims.measurement,
        recordCount,
        attestedAt: new Date(),
        attestationHash: verified.attestationHash,
        attestationExpiry: verified.expiry === null ? null : new Date(verified.expiry * 1000),
      });
      if (record !== undefined) await this.registrar.commitRecord(tx, record);
      return participant;
    });
  }

  async participants(jobId: string): Promise<ParticipantEntity[]> {
    return this.participantRows.findByJob(jobId);
  }

  /** Every trainer that has logged in, and whether it is online now. */
  async list(): Promise<(TrainerEntity & { online: boolean })[]> {
    const trainers = await this.trainers.list();
    const online = await this.sessions.onlineAmong(trainers.map((trainer) => trainer.address));
    return trainers.map((trainer) => ({ ...trainer, online: online.has(trainer.address) }));
  }
}
