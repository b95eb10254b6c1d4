import { describe, expect, it } from "vitest";
import { LedgerLeafSchema } from "./ledger.js";

const leaf = {
  trainer: "0x00000000000000000000000000000000000000b0",
  updateHash: `0x${"ab".repeat(32)}`,
  numExamples: "120",
  score: "500000000000000000",
  datasetId: "2",
  epsilonSpent: 0.5,
  updateCid: "bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e",
  rejected: false,
};
const signed = {
  signature: `0x${"11".repeat(65)}`,
  nonce: `0x${"22".repeat(32)}`,
  delta: 1e-5,
  metricsHash: `0x${"33".repeat(32)}`,
};

describe("LedgerLeafSchema", () => {
  it("accepts a leaf with or without its signed header and attestation kind (older coordinators serve neither)", () => {
    expect(LedgerLeafSchema.parse(leaf)).toEqual(leaf);
    const full = { ...leaf, ...signed, attestationKind: "simulated" };
    expect(LedgerLeafSchema.parse(full)).toEqual(full);
  });

  it("requires the nonce, δ and metricsHash that a signature covers", () => {
    const { nonce: _nonce, ...withoutNonce } = signed;
    const result = LedgerLeafSchema.safeParse({ ...leaf, ...withoutNonce });
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((issue) => issue.path)).toEqual([["nonce"]]);
  });

  it("refuses an unknown attestation kind and a signature that is not 65 bytes", () => {
    expect(LedgerLeafSchema.safeParse({ ...leaf, attestationKind: "none" }).success).toBe(false);
    expect(LedgerLeafSchema.safeParse({ ...leaf, ...signed, signature: "0x1234" }).success).toBe(false);
  });
});
