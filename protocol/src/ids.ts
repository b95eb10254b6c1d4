import { z } from "zod";

const UINT256_MAX = (1n << 256n) - 1n;

/** A uint256 written as a decimal string (JSON-safe, exact). */
const DECIMAL = /^(0|[1-9][0-9]*)$/;
const uint256Decimal = z
  .string()
  .regex(DECIMAL, "must be a non-negative decimal integer without leading zeros")
  .refine((value) => !DECIMAL.test(value) || BigInt(value) <= UINT256_MAX, "must fit in uint256");

/** Identifier of a training job: the `uint256` id `TrainingJobs` assigns, as a decimal string. */
export const JobIdSchema = uint256Decimal.brand<"JobId">();
export type JobId = z.infer<typeof JobIdSchema>;

/** Identifier of an enrolled dataset: the `uint256` id `DatasetRegistry` assigns, as a decimal string. */
export const DatasetIdSchema = uint256Decimal.brand<"DatasetId">();
export type DatasetId = z.infer<typeof DatasetIdSchema>;

/** A 20-byte Ethereum address, checksummed or lower-case hex; normalised to lower case. */
export const AddressSchema = z
  .string()
  .regex(/^0x[0-9a-fA-F]{40}$/, "must be a 20-byte hex address (0x + 40 hex digits)")
  .transform((value) => value.toLowerCase() as `0x${string}`);
export type Address = z.infer<typeof AddressSchema>;

/** A 32-byte value in hex (hashes, nonces); normalised to lower case. */
export const Bytes32Schema = z
  .string()
  .regex(/^0x[0-9a-fA-F]{64}$/, "must be 32 bytes of hex (0x + 64 hex digits)")
  .transform((value) => value.toLowerCase() as `0x${string}`);
export type Bytes32 = z.infer<typeof Bytes32Schema>;

/** A content identifier: CIDv1, base32, sha2-256 (as `bafk…`/`bafy…` strings). */
export const CidSchema = z.string().regex(/^b[a-z2-7]{58,}$/, "must be a base32 CIDv1 string");
export type Cid = z.infer<typeof CidSchema>;
