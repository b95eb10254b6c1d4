import { z } from "zod";
import { AddressSchema, Bytes32Schema, CidSchema } from "./ids.js";

/**
 * The coordinator's answers a researcher's client (the CLI, the web portal) reads before it escrows a job, parsed:
 * only the fields they use.
 */

/** `GET /health`: with a chain, the one it follows and the address its jobs must name as `coordinator`. */
export const CoordinatorHealthSchema = z.object({
  status: z.string(),
  mode: z.enum(["development", "production"]),
  tee: z.string().optional(),
  warning: z.string().optional(),
  chain: z
    .object({ chainId: z.number().int().positive(), trainingJobs: AddressSchema, coordinator: AddressSchema })
    .optional(),
});
export type CoordinatorHealth = z.infer<typeof CoordinatorHealthSchema>;

/** `POST /chain/job-specs`. */
export const JobSpecUploadSchema = z.object({ modelSpecHash: Bytes32Schema, cid: CidSchema });
export type JobSpecUpload = z.infer<typeof JobSpecUploadSchema>;

/** `POST /validation-sets`. */
export const ValidationSetUploadSchema = z.object({
  cid: CidSchema,
  sha256: Bytes32Schema,
  examples: z.number().int().positive(),
  featureShape: z.array(z.number().int().positive()),
});
export type ValidationSetUpload = z.infer<typeof ValidationSetUploadSchema>;
