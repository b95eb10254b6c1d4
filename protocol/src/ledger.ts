import { z } from "zod";
import { AddressSchema, Bytes32Schema, CidSchema, DatasetIdSchema, JobIdSchema, Uint256Schema } from "./ids.js";
import { ScoringSpecSchema } from "./scoring-spec.js";
import { AttestationKindSchema } from "./socket-messages.js";

/** What a SecAgg+ round's record says about the protocol run (see `LedgerRoundSchema.scoring.secureAggregation`). */
export const SecAggRoundRecordSchema = z.strictObject({
  /** What the leaves' update blobs hold. */
  updates: z.literal("masked-inputs"),
  /** Trainers whose masked input went into the sum (the round's leaves). */
  survivors: z.number().int().min(0),
  /** Trainers that shared their keys but sent no masked input: their pairwise masks were removed, not their input. */
  dropped: z.array(AddressSchema).max(10_000),
  /** Per-coordinate clip and quantisation steps per unit; the decoded sum is within survivors / (2 · scale). */
  clip: z.number().positive(),
  scale: z.number().positive(),
  /** Each survivor masked (numExamples / exampleCap) · its clipped update. */
  exampleCap: z.number().int().positive(),
});
export type SecAggRoundRecord = z.infer<typeof SecAggRoundRecordSchema>;

/** Amounts, counts and scores, as the contracts hold them. */
const uint = Uint256Schema;

/** Where a chain write stands in the coordinator's outbox; `txHash` is the transaction that carried it, once sent. */
export const LedgerTxSchema = z.strictObject({
  status: z.enum(["pending", "sent", "confirmed", "failed"]),
  txHash: Bytes32Schema.nullable(),
});

/** One round leaf `(trainer, updateHash, numExamples, score)` with what the auditor needs to check it. */
export const LedgerLeafSchema = z
  .strictObject({
    trainer: AddressSchema,
    updateHash: Bytes32Schema,
    numExamples: uint,
    /** Fixed-point share of the round, scaled by SCORE_SCALE (1e18). */
    score: uint,
    datasetId: DatasetIdSchema,
    /** Cumulative ε of the dataset after this round, as the trainer signed it; null: trained without DP. */
    epsilonSpent: z.number().min(0).nullable(),
    /** Where the update's bytes are (their SHA-256 is `updateHash`). */
    updateCid: CidSchema,
    /** The aggregation rule left this update out (e.g. not selected by Krum): its score is 0. */
    rejected: z.boolean(),
    /**
     * The trainer's EIP-712 `ModelUpdate` signature (`signModelUpdate`, domain: the ledger's chain and TrainingJobs)
     * over this leaf's fields, the round as the coordinator numbers it (this round − 1) and the three fields below.
     * An auditor recovers the signer and compares it with `trainer`, which attributes an altered numExamples,
     * updateHash, datasetId or ε to its leaf. Optional: coordinators older than this field serve no signatures.
     */
    signature: z
      .string()
      .regex(/^0x[0-9a-fA-F]{130}$/, "must be a 65-byte hex signature")
      .optional(),
    /** The nonce of the train instruction the update answered, as signed (required with `signature`). */
    nonce: Bytes32Schema.optional(),
    /** The δ the trainer signed (required with `signature`). */
    delta: z.number().min(0).lt(1).optional(),
    /** `metricsHash(metrics)` of the metrics the trainer signed (required with `signature`; the metrics stay private). */
    metricsHash: Bytes32Schema.optional(),
    /** The kind of attestation the trainer joined the job with; `simulated` means no TEE at all. */
    attestationKind: AttestationKindSchema.optional(),
    /**
     * The attestation the trainer was (last) admitted to the job with: its kind, the enclave measurement it
     * verified (hex: PCR0, MRENCLAVE, MRTD, the simulator's id) and, for a hardware TEE recorded on
     * AttestationRegistry, the SHA-256 of the document and when the record expires (Unix seconds).
     */
    attestation: z
      .strictObject({
        kind: AttestationKindSchema,
        measurement: z.string().regex(/^([0-9a-f]{2})*$/, "must be lower-case hex"),
        attestationHash: Bytes32Schema.optional(),
        expiry: z.number().int().positive().optional(),
      })
      .optional(),
  })
  .superRefine((leaf, context) => {
    if (leaf.signature === undefined) return;
    for (const field of ["nonce", "delta", "metricsHash"] as const) {
      if (leaf[field] === undefined) {
        context.addIssue({ code: "custom", path: [field], message: "is required when the leaf carries a signature" });
      }
    }
  });

export const LedgerRoundSchema = z.strictObject({
  /**
   * On-chain round number (1-based, as `anchorRound` takes it): the coordinator's round index + 1. Reports shown to
   * users number rounds as the coordinator does (`/jobs/:id/rounds`, from 0) and name this one as the chain round.
   */
  round: z.number().int().positive(),
  updatesRoot: Bytes32Schema,
  /** SHA-256 of the round's output model bytes (`modelCid`). */
  modelHash: Bytes32Schema,
  modelCid: CidSchema,
  scoring: z.strictObject({
    method: z.enum(["examples", "leave-one-out", "gtg-shapley"]),
    /** Models evaluated on the validation set to score the round (0 for `examples`). */
    evaluations: z.number().int().min(0),
    elapsedMs: z.number().min(0),
    /**
     * How the scores were computed: `exact-shapley` when a `gtg-shapley` round had ≤ 12 accepted updates,
     * `stratified-shapley` or `gtg-shapley` (the job's `estimator`) when it had more;
     * `secure-aggregation` when the round ran SecAgg+ and the coordinator never saw one update, so each survivor's
     * score is its share of the survivors' committed (signed) example counts.
     */
    computedBy: z
      .enum(["examples", "leave-one-out", "exact-shapley", "stratified-shapley", "gtg-shapley", "secure-aggregation"])
      .optional(),
    /**
     * Present when the round ran SecAgg+: the leaves' `updateHash`/`updateCid` are then the trainers' *masked* inputs
     * (uniform words modulo 2^32, which reveal nothing alone; no unmasked update of one trainer exists anywhere), the
     * model is the FedAvg of the unmasked sum of the survivors' inputs.
     */
    secureAggregation: SecAggRoundRecordSchema.optional(),
  }),
  anchor: LedgerTxSchema,
  leaves: z.array(LedgerLeafSchema).min(1),
});

export const LedgerPayoutSchema = z.strictObject({
  payoutRoot: Bytes32Schema,
  payoutTotal: uint,
  fee: uint,
  refund: uint,
  leaves: z.array(z.strictObject({ trainer: AddressSchema, amount: uint, cumulativeScore: uint })).min(1),
  finalize: LedgerTxSchema,
});

/** `GET /ledger/jobs/:id`: every anchored round's leaves and the payouts, for anyone to check against the chain. */
export const JobLedgerSchema = z.strictObject({
  jobId: JobIdSchema,
  chainId: z.number().int().positive(),
  trainingJobs: AddressSchema,
  status: z.string(),
  escrow: uint,
  feeBps: z.number().int().min(0).max(10_000),
  scoring: ScoringSpecSchema,
  /**
   * The job's round-0 starting model (each later round starts from the previous round's `modelCid`), for an
   * auditor recomputing the scores. Optional: older coordinators do not serve it.
   */
  initialModelCid: CidSchema.optional(),
  /** SHA-256 of the initial model's bytes (with `initialModelCid`). */
  initialModelHash: Bytes32Schema.optional(),
  rounds: z.array(LedgerRoundSchema),
  /** Highest cumulative ε each dataset reported in this job (null: it trained without DP). */
  epsilonByDataset: z.record(z.string(), z.number().min(0).nullable()),
  payout: LedgerPayoutSchema.nullable(),
});
export type JobLedger = z.infer<typeof JobLedgerSchema>;
export type LedgerRound = z.infer<typeof LedgerRoundSchema>;
export type LedgerLeaf = z.infer<typeof LedgerLeafSchema>;

/** `GET /ledger/jobs/:id/proof/:trainer`: the payout leaf and its Merkle proof, as `TrainingJobs.claim` takes them. */
export const PayoutProofSchema = z.strictObject({
  jobId: JobIdSchema,
  trainer: AddressSchema,
  amount: uint,
  payoutRoot: Bytes32Schema,
  proof: z.array(Bytes32Schema),
});
export type PayoutProof = z.infer<typeof PayoutProofSchema>;
