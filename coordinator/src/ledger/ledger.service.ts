import { Inject, Injectable } from "@nestjs/common";
import {
  type Address,
  AttestationKindSchema,
  type Bytes32,
  buildPayoutTree,
  type JobLedger,
  type LedgerLeaf,
  type LedgerRound,
  metricsHash,
  type PayoutProof,
} from "@tributary/protocol";
import type { ChainIntentEntity } from "../chain/chain-intent.entity.js";
import { ChainIntentRepository } from "../chain/chain-intent.repository.js";
import type { ChainJobEntity } from "../chain/chain-job.entity.js";
import { ChainJobRepository } from "../chain/chain-job.repository.js";
import { ChainRoundAnchorRepository } from "../chain/chain-round-anchor.repository.js";
import { NotFoundError } from "../common/coordinator-errors.js";
import { COORDINATOR_CONFIG } from "../common/tokens.js";
import type { CoordinatorConfig } from "../config/coordinator-config.js";
import type { JobEntity } from "../jobs/job.entity.js";
import { JobRepository } from "../jobs/job.repository.js";
import type { ParticipantEntity } from "../jobs/participant.entity.js";
import { ParticipantRepository } from "../jobs/participant.repository.js";
import { ModelRepository } from "../models/model.repository.js";
import { RoundRepository } from "../rounds/round.repository.js";
import type { UpdateEntity } from "../rounds/update.entity.js";
import { UpdateRepository } from "../rounds/update.repository.js";

type LedgerTx = LedgerRound["anchor"];

function txOf(intent: ChainIntentEntity | undefined, anchoredTx?: string): LedgerTx {
  if (intent === undefined) return { status: "pending", txHash: (anchoredTx ?? null) as Bytes32 | null };
  const hash = intent.minedTxHash ?? anchoredTx ?? intent.txs.at(-1)?.hash ?? null;
  return { status: intent.status, txHash: hash as Bytes32 | null };
}

/** The attestation a participant was admitted with, as the ledger shows it. */
function attestationOf(
  participant: ParticipantEntity | undefined,
): Pick<LedgerLeaf, "attestationKind" | "attestation"> {
  const kind = AttestationKindSchema.safeParse(participant?.teeKind);
  if (participant === undefined || !kind.success) return {};
  const { measurement, attestationHash, attestationExpiry } = participant;
  return {
    attestationKind: kind.data,
    attestation: {
      kind: kind.data,
      measurement,
      ...(attestationHash === null ? {} : { attestationHash: attestationHash as Bytes32 }),
      ...(attestationExpiry === null ? {} : { expiry: Math.floor(attestationExpiry.getTime() / 1000) }),
    },
  };
}

/**
 * A round leaf with what an auditor needs to check it: the trainer's EIP-712 signature over the update header
 * (with the nonce, δ and metrics hash it signed; the metrics themselves stay private) and the attestation the
 * trainer joined with (kind, measurement and, when recorded on AttestationRegistry, the document's hash and the
 * record's expiry). Every accepted update's row holds these, so old rounds are served signed too.
 */
function leafOf(update: UpdateEntity, participant: ParticipantEntity | undefined): LedgerLeaf {
  return {
    trainer: update.trainer as Address,
    updateHash: update.updateHash as Bytes32,
    numExamples: String(update.numExamples),
    score: update.score ?? "0",
    datasetId: update.datasetId as LedgerLeaf["datasetId"],
    epsilonSpent: update.epsilonSpent,
    updateCid: update.cid as LedgerLeaf["updateCid"],
    rejected: update.rejected,
    signature: update.signature,
    nonce: update.nonce as Bytes32,
    delta: update.delta,
    metricsHash: metricsHash(update.metrics),
    ...attestationOf(participant),
  };
}

/**
 * The contribution ledger of on-chain jobs, for auditors: every aggregated round's leaves (with each update's
 * dataset, ε and blob), roots and anchor transactions, and the payouts with their Merkle proofs. Built from the
 * coordinator's own records; `tributary ledger verify` checks it against the chain.
 */
@Injectable()
export class LedgerService {
  constructor(
    @Inject(JobRepository) private readonly jobs: JobRepository,
    @Inject(RoundRepository) private readonly rounds: RoundRepository,
    @Inject(UpdateRepository) private readonly updates: UpdateRepository,
    @Inject(ModelRepository) private readonly models: ModelRepository,
    @Inject(ChainJobRepository) private readonly chainJobs: ChainJobRepository,
    @Inject(ChainIntentRepository) private readonly intents: ChainIntentRepository,
    @Inject(ChainRoundAnchorRepository) private readonly anchorRows: ChainRoundAnchorRepository,
    @Inject(ParticipantRepository) private readonly participants: ParticipantRepository,
    @Inject(COORDINATOR_CONFIG) private readonly config: CoordinatorConfig,
  ) {}

  async ledger(jobId: string): Promise<JobLedger> {
    const { job, chainJob } = await this.#onChainJob(jobId);
    const rounds = await this.rounds.doneTrainingRounds(jobId);
    const updates = await this.updates.findInRounds(
      jobId,
      rounds.map((round) => round.round),
    );
    const models = await this.models.findByJob(jobId);
    const initial = models.find((model) => model.round === -1);
    const keys = [...rounds.map((round) => `anchorRound:${jobId}:${round.round + 1}`), `finalizeJob:${jobId}`];
    const intents = await this.intents.findLive(keys);
    const intentByKey = new Map(intents.map((intent) => [intent.dedupeKey, intent]));
    const anchors = await this.anchorRows.findByJob(jobId);
    const participants = new Map(
      (await this.participants.findByJob(jobId)).map((participant) => [participant.trainer, participant]),
    );
    const epsilonByDataset: Record<string, number | null> = {};
    for (const update of updates) {
      const previous = epsilonByDataset[update.datasetId];
      epsilonByDataset[update.datasetId] =
        update.epsilonSpent === null || previous === null ? null : Math.max(previous ?? 0, update.epsilonSpent);
    }
    return {
      jobId: job.id as JobLedger["jobId"],
      chainId: this.config.chainId,
      trainingJobs: (this.config.chain?.trainingJobs ?? "").toLowerCase() as Address,
      status: job.status,
      escrow: chainJob.reward,
      feeBps: chainJob.feeBps,
      scoring: job.spec.scoring,
      ...(initial === undefined
        ? {}
        : {
            initialModelCid: initial.cid as JobLedger["rounds"][number]["modelCid"],
            initialModelHash: initial.sha256 as Bytes32,
          }),
      rounds: rounds.map((round) => {
        const chainRound = round.round + 1;
        const model = models.find((candidate) => candidate.cid === round.outputModelCid);
        const anchored = anchors.find((anchor) => anchor.round === chainRound);
        return {
          round: chainRound,
          updatesRoot: round.updatesRoot as Bytes32,
          modelHash: model?.sha256 as Bytes32,
          modelCid: round.outputModelCid as string,
          scoring: round.scoring ?? { method: job.spec.scoring.method, evaluations: 0, elapsedMs: 0 },
          anchor: txOf(intentByKey.get(`anchorRound:${job.id}:${chainRound}`), anchored?.txHash),
          leaves: updates
            .filter((update) => update.round === round.round)
            .map((update) => leafOf(update, participants.get(update.trainer))),
        };
      }),
      epsilonByDataset,
      payout:
        job.payout === null
          ? null
          : {
              ...job.payout,
              payoutRoot: job.payout.payoutRoot as Bytes32,
              leaves: job.payout.leaves.map((leaf) => ({ ...leaf, trainer: leaf.trainer as Address })),
              finalize: txOf(intentByKey.get(`finalizeJob:${job.id}`)),
            },
    } as JobLedger;
  }

  /** A contributor's payout leaf and its proof, ready for `TrainingJobs.claim`. */
  async proof(jobId: string, trainer: Address): Promise<PayoutProof> {
    const { job } = await this.#onChainJob(jobId);
    if (job.payout === null) throw new NotFoundError("payout of job", jobId);
    const leaves = job.payout.leaves.map((leaf) => ({ trainer: leaf.trainer as Address, amount: BigInt(leaf.amount) }));
    const index = leaves.findIndex((leaf) => leaf.trainer === trainer.toLowerCase());
    if (index < 0) throw new NotFoundError(`payout of job ${jobId} for trainer`, trainer);
    const tree = buildPayoutTree(leaves);
    return {
      jobId: job.id as PayoutProof["jobId"],
      trainer: leaves[index]?.trainer as Address,
      amount: job.payout.leaves[index]?.amount as string,
      payoutRoot: tree.root,
      proof: tree.proof(index),
    };
  }

  /** Whether `cid` is an update or model blob of the job's ledger (the only blobs served under it). */
  async holdsBlob(jobId: string, cid: string): Promise<boolean> {
    await this.#onChainJob(jobId);
    if (await this.updates.holds(jobId, cid)) return true;
    return this.models.holds(jobId, cid);
  }

  async #onChainJob(jobId: string): Promise<{ job: JobEntity; chainJob: ChainJobEntity }> {
    const job = await this.jobs.findOnChain(jobId);
    const chainJob = job === null ? null : await this.chainJobs.findById(jobId);
    if (job === null || chainJob === null) throw new NotFoundError("on-chain job", jobId);
    return { job, chainJob };
  }
}
