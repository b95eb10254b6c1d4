import type { LedgerReport } from "@tributary/auditor";
import { describe, expect, it } from "vitest";
import type { JobSettlement } from "./demo-settlement.js";
import { formatAmount, formatSettlement, formatTrib, payoutsJson } from "./payout-summary.js";

const TRIB = 10n ** 18n;
const TRAINERS = ["0x1111111111111111111111111111111111111111", "0x2222222222222222222222222222222222222222"] as const;

function settlement(report: Partial<LedgerReport> = {}): JobSettlement {
  return {
    chainId: 31_337,
    trainingJobs: "0x3333333333333333333333333333333333333333",
    scoring: "leave-one-out",
    escrow: 1_000n * TRIB,
    // The budget B = 975.609756097560975609 TRIB (B + 2.5 % of B ≤ 1000 TRIB); each owner's floor of 2 TRIB first,
    // then B − 4 TRIB split 3:1 by score, each share rounded down: 2 TRIB + ⌊(B − 4 TRIB)·¾⌋ and 2 TRIB +
    // ⌊(B − 4 TRIB)·¼⌋, together 1 wei short of B; the fee on what is paid, and the 2 wei left are refunded.
    fee: 24_390_243_902_439_024_390n,
    payoutTotal: 975_609_756_097_560_975_608n,
    refund: 2n,
    refundTx: `0x${"ab".repeat(32)}`,
    finalizeTx: `0x${"cd".repeat(32)}`,
    payouts: [
      {
        owner: 1,
        trainer: TRAINERS[0],
        datasetId: "1" as never,
        score: 0.75,
        floor: 2n * TRIB,
        amount: 730_707_317_073_170_731_706n,
        claimTx: `0x${"01".repeat(32)}`,
      },
      {
        owner: 2,
        trainer: TRAINERS[1],
        datasetId: "2" as never,
        score: 0.25,
        floor: 2n * TRIB,
        amount: 244_902_439_024_390_243_902n,
        claimTx: `0x${"02".repeat(32)}`,
      },
    ],
    ledger: {
      ok: true,
      jobId: "1",
      chainId: "31337",
      trainingJobs: "0x3333333333333333333333333333333333333333",
      blockNumber: 40,
      checked: {
        rounds: 2,
        leaves: 4,
        blobs: 6,
        blobsUnreachable: 0,
        blobsSkipped: false,
        signatures: 0,
        unsignedLeaves: 4,
        payouts: 2,
      },
      attestations: { nitro: 0, sgx: 0, tdx: 0, simulated: 0, unknown: 4 },
      recomputed: null,
      simulatedAttestation: false,
      disagreements: [],
      warnings: [],
      ...report,
    },
  };
}

describe("the payout summary", () => {
  it("shows TRIB to 6 decimals, rounded, and amounts too small for that in wei", () => {
    expect(formatTrib(1_000n * TRIB)).toBe("1000");
    expect(formatTrib(975_609_756_097_560_975_609n)).toBe("975.609756");
    expect(formatTrib(500_000_000_000n)).toBe("0.000001");
    expect(formatTrib(499_999_999_999n)).toBe("0");
    expect(formatAmount(1n)).toBe("1 wei");
    expect(formatAmount(TRIB / 2n)).toBe("0.5 TRIB");
  });

  it("lists each owner's score share, floor, payout and claim, and where the escrow went", () => {
    const text = formatSettlement("1", settlement());
    expect(text).toMatch(new RegExp(`1 +${TRAINERS[0]} +1 +75\\.00% +2 +730\\.707317 +0x(01){32}`));
    expect(text).toMatch(new RegExp(`2 +${TRAINERS[1]} +2 +25\\.00% +2 +244\\.902439 +0x(02){32}`));
    expect(text).toContain(
      "escrow 1000 TRIB = 975.609756 TRIB claimed by the owners (4 TRIB of it their prices per round, the rest by score) + 24.390244 TRIB protocol fee + 2 wei refunded to the researcher",
    );
    expect(text).not.toContain("DOES NOT ADD UP");
    expect(text).toMatch(/ledger verified: OK/);
  });

  it("says nothing of prices when the owners asked none", () => {
    const free = settlement();
    const text = formatSettlement("1", { ...free, payouts: free.payouts.map((payout) => ({ ...payout, floor: 0n })) });
    expect(text).toContain("TRIB claimed by the owners + 24.390244 TRIB protocol fee");
  });

  it("names every disagreement when the ledger does not verify", () => {
    const text = formatSettlement(
      "1",
      settlement({
        ok: false,
        disagreements: [
          { kind: "round-root", round: 2, message: "round 2: the root recomputed from the leaves ≠ the anchored one" },
          { kind: "payout-total", message: "the payout total differs" },
        ],
      }),
    );
    expect(text).toMatch(/ledger verified: FAILED, 2 disagreements/);
    expect(text).toContain("  [round-root] round 2: the root recomputed from the leaves ≠ the anchored one");
    expect(text).toContain("  [payout-total] the payout total differs");
  });

  it("shows the audit's warnings (simulated attestations, an unsigned ledger) under its verdict", () => {
    const text = formatSettlement(
      "1",
      settlement({
        simulatedAttestation: true,
        warnings: [
          { kind: "simulated-attestation", trainer: TRAINERS[0], message: `SIMULATED ATTESTATION: ${TRAINERS[0]} …` },
        ],
      }),
    );
    expect(text).toMatch(/ledger verified: OK/);
    expect(text).toContain(`  warning: [simulated-attestation] SIMULATED ATTESTATION: ${TRAINERS[0]} …`);
  });

  it("gives the JSON line's payouts with amounts as decimal wei strings", () => {
    expect(payoutsJson(settlement())).toEqual([
      {
        trainer: TRAINERS[0],
        datasetId: "1",
        score: 0.75,
        floor: "2000000000000000000",
        amount: "730707317073170731706",
      },
      {
        trainer: TRAINERS[1],
        datasetId: "2",
        score: 0.25,
        floor: "2000000000000000000",
        amount: "244902439024390243902",
      },
    ]);
  });
});
