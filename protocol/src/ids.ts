import { CID } from "multiformats/cid";
import { z } from "zod";

/** Largest value of a PostgreSQL `bigint` (int8), 2^63 − 1: every id the coordinator stores fits in one. */
export const MAX_BIGINT_ID = (1n << 63n) - 1n;
const UINT256_MAX = (1n << 256n) - 1n;

const DECIMAL = /^(0|[1-9][0-9]*)$/;

/**
 * A non-negative integer written as a decimal string (JSON-safe, exact), at most `max`. The digit count is
 * checked before any conversion, so a megabyte of digits costs nothing to refuse.
 */
function boundedDecimal(max: bigint, bound: string) {
  const digits = max.toString().length;
  return z.string().superRefine((value, ctx) => {
    if (!DECIMAL.test(value.slice(0, digits + 1))) {
      ctx.addIssue({ code: "custom", message: "must be a non-negative decimal integer without leading zeros" });
    } else if (value.length > digits || BigInt(value) > max) {
      ctx.addIssue({ code: "custom", message: `must be at most ${max} (${bound})` });
    }
  });
}

/** A uint256 written as a decimal string: what a contract holds (ids it assigns, token amounts). */
export const Uint256Schema = boundedDecimal(UINT256_MAX, "uint256");

/**
 * Identifier of a training job, as a decimal string. An on-chain job keeps the `uint256` id `TrainingJobs`
 * assigns (a counter from 1); the coordinator stores every job id in a PostgreSQL `bigint`, so ids are bounded
 * by 2^63 − 1 and a larger one is refused here rather than failing inside.
 */
export const JobIdSchema = boundedDecimal(MAX_BIGINT_ID, "PostgreSQL bigint").brand<"JobId">();
export type JobId = z.infer<typeof JobIdSchema>;

/**
 * Identifier of an enrolled dataset, as a decimal string: the coordinator's own, or the `uint256` id
 * `DatasetRegistry` assigns (a counter from 1). Trainers, participants and updates store it in a PostgreSQL
 * `bigint`, so it is bounded by 2^63 − 1.
 */
export const DatasetIdSchema = boundedDecimal(MAX_BIGINT_ID, "PostgreSQL bigint").brand<"DatasetId">();
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

/**
 * Longest CID string accepted. A base32 CIDv1 of a sha2-256 digest is 59 characters with a one-byte codec (raw,
 * the coordinator's blobs, or dag-pb) and at most 73 with the longest codec varint; 100 leaves room and keeps a
 * CID far below the 255-byte file-name limit of the blob store.
 */
export const MAX_CID_LENGTH = 100;
const SHA2_256 = 0x12;

/**
 * A content identifier: CIDv1, base32 (`bafk…`/`bafy…`), sha2-256 multihash, in its canonical spelling (the one
 * `CID.toString()` gives back), as `multiformats`' `CID.parse` reads it.
 */
export const CidSchema = z.string().superRefine((value, ctx) => {
  const fail = (message: string) => ctx.addIssue({ code: "custom", message });
  if (value.length > MAX_CID_LENGTH) return fail(`must be at most ${MAX_CID_LENGTH} characters (a CIDv1 is 59)`);
  if (!/^b[a-z2-7]{58,}$/.test(value)) return fail("must be a base32 CIDv1 string");
  let cid: CID;
  try {
    cid = CID.parse(value);
  } catch (error) {
    return fail(`is not a CID: ${(error as Error).message}`);
  }
  if (cid.version !== 1) return fail("must be a CIDv1");
  if (cid.multihash.code !== SHA2_256 || cid.multihash.size !== 32) return fail("must hash with sha2-256");
  if (cid.toString() !== value) return fail(`is not in canonical form (${cid.toString()})`);
});
export type Cid = z.infer<typeof CidSchema>;

/**
 * Index of a round of a job, from 0. The coordinator stores it in a PostgreSQL `integer`, so it is bounded by
 * 2^31 − 1 (a job has at most 10,000 rounds; the bound only keeps a larger number from failing inside a query).
 */
export const RoundSchema = z
  .number()
  .int()
  .nonnegative()
  .max(2 ** 31 - 1);
