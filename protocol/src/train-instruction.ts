import { z } from "zod";
import { AddressSchema, Bytes32Schema, CidSchema, JobIdSchema, RoundSchema } from "./ids.js";
import { DpSpecSchema } from "./job-spec.js";
import { MAX_SECAGG_CLIENTS } from "./secure-aggregation-messages.js";

/**
 * What a trainer of a `secureAggregation` job needs for the round's SecAgg+ instance, beside the job spec's
 * parameters (which the trainer checks these against): who takes part, in the order that fixes the Shamir
 * x-coordinates, the quantisation scale, and the cap its example count is weighted against. The trainer masks
 * (n_i / exampleCap) · clip(Δ_i), so the sum divided by Σ n_i of the survivors (times exampleCap) is their FedAvg.
 */
export const SecAggInstructionSchema = z.strictObject({
  participants: z.array(AddressSchema).min(2).max(MAX_SECAGG_CLIENTS),
  threshold: z.number().int().min(1),
  neighbours: z.number().int().min(2),
  clip: z.number().positive(),
  scale: z.number().positive(),
  exampleCap: z.number().int().positive().max(Number.MAX_SAFE_INTEGER),
});
export type SecAggInstruction = z.infer<typeof SecAggInstructionSchema>;

/** Sent by the coordinator to each trainer selected for a round. */
export const TrainInstructionSchema = z.strictObject({
  jobId: JobIdSchema,
  round: RoundSchema,
  /** The global model to start from, content-addressed; the trainer checks the bytes against `modelHash`. */
  modelCid: CidSchema,
  /** SHA-256 of the global model's bytes. */
  modelHash: Bytes32Schema,
  hyperParams: z.strictObject({
    localEpochs: z.number().int().positive(),
    batchSize: z.number().int().positive(),
    /** The job spec's `maxLocalSteps` (absent: `localEpochs` full passes). */
    maxLocalSteps: z.number().int().positive().optional(),
    learningRate: z.number().positive(),
    proximalMu: z.number().min(0),
    dp: DpSpecSchema,
  }),
  /** Unix time in milliseconds after which the coordinator stops waiting. */
  deadline: z.number().int().positive(),
  /** Fresh per round and trainer; echoed in the signed update so it cannot be replayed. */
  nonce: Bytes32Schema,
  /** Present for a `secureAggregation` job: the update is sent masked, through the SecAgg+ stages. */
  secureAggregation: SecAggInstructionSchema.optional(),
});
export type TrainInstruction = z.infer<typeof TrainInstructionSchema>;
