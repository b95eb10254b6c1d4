import { z } from "zod";
import { Bytes32Schema, CidSchema, JobIdSchema, RoundSchema } from "./ids.js";
import { DpSpecSchema } from "./job-spec.js";

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
    learningRate: z.number().positive(),
    proximalMu: z.number().min(0),
    dp: DpSpecSchema,
  }),
  /** Unix time in milliseconds after which the coordinator stops waiting. */
  deadline: z.number().int().positive(),
  /** Fresh per round and trainer; echoed in the signed update so it cannot be replayed. */
  nonce: Bytes32Schema,
});
export type TrainInstruction = z.infer<typeof TrainInstructionSchema>;
