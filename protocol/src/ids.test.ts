import { describe, expect, it } from "vitest";
import { AddressSchema, CidSchema, DatasetIdSchema, JobIdSchema, RoundSchema, Uint256Schema } from "./ids.js";
import { InvalidInputError, parseInput } from "./parse.js";

/** 2^63 − 1, the largest PostgreSQL bigint (PostgreSQL manual, "Numeric Types"). */
const PG_BIGINT_MAX = "9223372036854775807";
/** The raw-codec sha2-256 CIDv1 of the bytes "hello world" (as `ipfs add --raw-leaves --cid-version 1` prints). */
const HELLO_CID = "bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e";

function issuesOf(schema: Parameters<typeof parseInput>[0], input: unknown, what: string): string[] {
  try {
    parseInput(schema, input, what);
  } catch (error) {
    if (error instanceof InvalidInputError) return error.issues.map((issue) => `${issue.path}: ${issue.message}`);
    throw error;
  }
  throw new Error("the input was accepted");
}

describe("ids", () => {
  it("bounds job and dataset ids by PostgreSQL bigint, 2^63 − 1, and rejects signs and leading zeros", () => {
    expect(JobIdSchema.parse(PG_BIGINT_MAX)).toBe(PG_BIGINT_MAX);
    expect(DatasetIdSchema.parse(PG_BIGINT_MAX)).toBe(PG_BIGINT_MAX);
    expect(issuesOf(JobIdSchema, "9223372036854775808", "job id")).toEqual([
      `job id: must be at most ${PG_BIGINT_MAX} (PostgreSQL bigint)`,
    ]);
    expect(issuesOf(JobIdSchema, "99999999999999999999999", "job id")).toEqual([
      `job id: must be at most ${PG_BIGINT_MAX} (PostgreSQL bigint)`,
    ]);
    expect(issuesOf(DatasetIdSchema, "99999999999999999999999", "dataset id")).toEqual([
      `dataset id: must be at most ${PG_BIGINT_MAX} (PostgreSQL bigint)`,
    ]);
    for (const bad of ["-1", "01", "1.5", "", "0x10", "12a"]) {
      expect(issuesOf(JobIdSchema, bad, "job id")).toEqual([
        "job id: must be a non-negative decimal integer without leading zeros",
      ]);
    }
  });

  it("refuses a megabyte of digits without converting it", () => {
    const started = performance.now();
    expect(issuesOf(DatasetIdSchema, "9".repeat(1_000_000), "dataset id")).toEqual([
      `dataset id: must be at most ${PG_BIGINT_MAX} (PostgreSQL bigint)`,
    ]);
    expect(performance.now() - started).toBeLessThan(500);
  });

  it("bounds on-chain uint256 values by 2^256 − 1", () => {
    const max = "115792089237316195423570985008687907853269984665640564039457584007913129639935";
    expect(Uint256Schema.parse(max)).toBe(max);
    expect(
      Uint256Schema.safeParse("115792089237316195423570985008687907853269984665640564039457584007913129639936").success,
    ).toBe(false);
  });

  it("bounds round indexes by PostgreSQL integer, 2^31 − 1", () => {
    expect(RoundSchema.parse(2_147_483_647)).toBe(2_147_483_647);
    expect(RoundSchema.safeParse(2_147_483_648).success).toBe(false);
  });

  it("normalises checksummed addresses to lower case and rejects short ones", () => {
    expect(AddressSchema.parse("0x5FbDB2315678afecb367f032d93F642f64180aa3")).toBe(
      "0x5fbdb2315678afecb367f032d93f642f64180aa3",
    );
    expect(AddressSchema.safeParse("0x5FbDB2315678afecb367f032d93F642f64180aa").success).toBe(false);
  });

  it("accepts a real CIDv1 (raw, sha2-256) and rejects a CIDv0", () => {
    expect(CidSchema.safeParse("bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku").success).toBe(true);
    expect(CidSchema.parse(HELLO_CID)).toBe(HELLO_CID);
    expect(CidSchema.safeParse("QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o").success).toBe(false);
  });

  it("refuses a 5,000-character CID by its length before parsing it", () => {
    expect(issuesOf(CidSchema, `b${"a".repeat(4999)}`, "model CID")).toEqual([
      "model CID: must be at most 100 characters (a CIDv1 is 59)",
    ]);
  });

  it("refuses base32 text that is not a CID, a non-canonical spelling and another hash function", () => {
    expect(issuesOf(CidSchema, `b${"a".repeat(58)}`, "model CID")[0]).toMatch(/^model CID: is not a CID: /);
    // The last character of HELLO_CID carries 3 padding bits; setting them spells the same bytes differently.
    const padded = `${HELLO_CID.slice(0, -1)}f`;
    expect(issuesOf(CidSchema, padded, "model CID")[0]).toMatch(/^model CID: (is not a CID|is not in canonical form)/);
    // CIDv1 raw with an identity multihash of 32 bytes (code 0x00): 01 55 00 20 ‖ 32 zero bytes.
    const identity = `b${base32([0x01, 0x55, 0x00, 0x20, ...new Array(32).fill(0)])}`;
    expect(issuesOf(CidSchema, identity, "model CID")).toEqual(["model CID: must hash with sha2-256"]);
  });
});

/** RFC 4648 base32, lower case, without padding (written here, not taken from multiformats). */
function base32(bytes: number[]): string {
  const alphabet = "abcdefghijklmnopqrstuvwxyz234567";
  let bits = 0;
  let value = 0;
  let out = "";
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += alphabet[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += alphabet[(value << (5 - bits)) & 31];
  return out;
}
