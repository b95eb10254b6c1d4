import { describe, expect, it } from "vitest";
import { AddressSchema, CidSchema, JobIdSchema } from "./ids.js";

describe("ids", () => {
  it("accepts uint256 job ids up to 2^256 - 1 and rejects 2^256, signs and leading zeros", () => {
    const max = ((1n << 256n) - 1n).toString();
    expect(JobIdSchema.parse(max)).toBe(max);
    expect(JobIdSchema.safeParse((1n << 256n).toString()).success).toBe(false);
    for (const bad of ["-1", "01", "1.5", "", "0x10"]) expect(JobIdSchema.safeParse(bad).success).toBe(false);
  });

  it("normalises checksummed addresses to lower case and rejects short ones", () => {
    expect(AddressSchema.parse("0x5FbDB2315678afecb367f032d93F642f64180aa3")).toBe(
      "0x5fbdb2315678afecb367f032d93f642f64180aa3",
    );
    expect(AddressSchema.safeParse("0x5FbDB2315678afecb367f032d93F642f64180aa").success).toBe(false);
  });

  it("accepts a real CIDv1 (raw, sha2-256) and rejects a CIDv0", () => {
    expect(CidSchema.safeParse("bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku").success).toBe(true);
    expect(CidSchema.safeParse("QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o").success).toBe(false);
  });
});
