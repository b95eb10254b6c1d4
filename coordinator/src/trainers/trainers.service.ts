import { randomBytes } from "node:crypto";
import { Inject, Injectable, Logger } from "@nestjs/common";
import { InjectDataSource } from "@nestjs/typeorm";
import {
  type AttestationPolicy,
  attestationUserData,
  checkAttestation,
  SIMULATED_MEASUREMENT,
  SimulatedAttestationVerifier,
} from "@tributary/enclave-compute";
import {
  type Address,
  type Attest,
  type Bytes32,
  type JobId,
  type Login,
  loginMessage,
  TributaryError,
} from "@tributary/protocol";
import { verifyMessage } from "ethers";
import type { DataSource } from "typeorm";
import { ChainDatasetEntity } from "../chain/chain-dataset.entity.js";
import { COORDINATOR_CONFIG } from "../common/tokens.js";
import type { CoordinatorConfig } from "../config/coordinator-config.js";
import { DatasetEntity } from "../datasets/dataset.entity.js";
import { JobEntity } from "../jobs/job.entity.js";
import { ParticipantEntity } from "./participant.entity.js";
import { TrainerEntity } from "./trainer.entity.js";

export class TrainerAuthError extends TributaryError {
  constructor(code: string, message: string) {
    super(code, message);
  }
}

/** Trainer identity: login by key signature, admission to jobs by attestation under the coordinator's policy. */
@Injectable()
export class TrainersService {
  readonly #logger = new Logger("trainers");
  readonly #policy: AttestationPolicy;
  readonly #verifiers = [new SimulatedAttestationVerifier()];
  /** Attestation challenges handed out by `join`, per trainer and job; single use. */
  readonly #challenges = new Map<string, Bytes32>();

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(COORDINATOR_CONFIG) config: CoordinatorConfig,
  ) {
    this.#policy = {
      mode: config.mode,
      allowedMeasurements: {
        ...config.allowedMeasurements,
        ...(config.mode === "development" ? { simulated: [SIMULATED_MEASUREMENT] } : {}),
      },
      maxAgeMs: config.attestationMaxAgeS * 1000,
    };
  }

  /** Checks the login signature over the connection's nonce and records the trainer. */
  async login(login: Login, nonce: Bytes32): Promise<{ jobs: JobId[] }> {
    const signer = verifyMessage(loginMessage(nonce), login.signature).toLowerCase();
    if (signer !== login.address) {
      throw new TrainerAuthError("BAD_LOGIN_SIGNATURE", `the login signature is by ${signer}, not ${login.address}`);
    }
    await this.#checkDataset(login.address, login.datasetId);
    await this.db
      .getRepository(TrainerEntity)
      .upsert({ address: login.address, datasetId: login.datasetId, lastSeenAt: new Date() }, ["address"]);
    return { jobs: await this.openJobsFor(login.datasetId) };
  }

  /**
   * A trainer serves a dataset enrolled with this coordinator, or one active on DatasetRegistry that it owns (the
   * on-chain owner is who round leaves name and payouts pay, so nobody else may train on its behalf).
   */
  async #checkDataset(address: string, datasetId: string): Promise<void> {
    if (await this.db.getRepository(DatasetEntity).existsBy({ id: datasetId })) return;
    const onChain = await this.db.getRepository(ChainDatasetEntity).findOneBy({ datasetId });
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

  /** Running jobs that train on this dataset. */
  async openJobsFor(datasetId: string): Promise<JobId[]> {
    const jobs = await this.db
      .getRepository(JobEntity)
      .createQueryBuilder("job")
      .select("job.id", "id")
      .where("job.status IN ('running', 'evaluating')")
      .andWhere("job.spec -> 'datasetIds' ? :datasetId", { datasetId })
      .getRawMany<{ id: string }>();
    return jobs.map((job) => job.id as JobId);
  }

  /** Step one of joining a job: a fresh nonce the trainer's enclave must bind into its attestation. */
  async challenge(trainer: Address, datasetId: string, jobId: JobId): Promise<Bytes32> {
    const open = await this.openJobsFor(datasetId);
    if (!open.includes(jobId)) {
      throw new TrainerAuthError("NOT_ELIGIBLE", `job ${jobId} is not running on dataset ${datasetId}`);
    }
    const nonce = `0x${randomBytes(32).toString("hex")}` as Bytes32;
    this.#challenges.set(`${trainer}:${jobId}`, nonce);
    return nonce;
  }

  /** Step two: verify the attestation (key, job and nonce bound) and admit the trainer to the job. */
  async admit(trainer: Address, datasetId: string, attest: Attest): Promise<ParticipantEntity> {
    const key = `${trainer}:${attest.jobId}`;
    const nonce = this.#challenges.get(key);
    if (nonce === undefined) throw new TrainerAuthError("NO_CHALLENGE", `ask to join job ${attest.jobId} first`);
    this.#challenges.delete(key);
    const claims = await checkAttestation(
      {
        kind: attest.kind,
        document: attest.document,
        expectedUserData: attestationUserData({ signer: trainer, jobId: attest.jobId, coordinatorNonce: nonce }),
        expectedNonce: Buffer.from(nonce.slice(2), "hex"),
        now: Date.now(),
      },
      this.#policy,
      this.#verifiers,
    );
    if (claims.simulated) {
      this.#logger.warn(`trainer ${trainer} joined job ${attest.jobId} with a SIMULATED attestation (no TEE)`);
    }
    const participant = this.db.getRepository(ParticipantEntity).create({
      jobId: attest.jobId,
      trainer,
      datasetId,
      teeKind: claims.kind,
      simulated: claims.simulated,
      measurement: claims.measurement,
      attestedAt: new Date(),
    });
    await this.db.getRepository(ParticipantEntity).upsert(participant, ["jobId", "trainer"]);
    return participant;
  }

  async participants(jobId: string): Promise<ParticipantEntity[]> {
    return this.db.getRepository(ParticipantEntity).findBy({ jobId });
  }

  list(): Promise<TrainerEntity[]> {
    return this.db.getRepository(TrainerEntity).find({ order: { address: "ASC" } });
  }
}
