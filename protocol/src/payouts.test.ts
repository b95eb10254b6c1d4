import { describe, expect, it } from "vitest";
import type { Address } from "./ids.js";
import { computePayouts, PayoutInputError } from "./payouts.js";

const A = "0x00000000000000000000000000000000000000aa" as Address;
const B = "0x00000000000000000000000000000000000000bb" as Address;
const C = "0x00000000000000000000000000000000000000cc" as Address;

describe("computePayouts", () => {
  it("splits 1000 at a 2.5 % fee by 1:3 scores, worked by hand", () => {
    // Budget: largest P with P + ⌊0.025 P⌋ ≤ 1000 → P = 975 (975 + 24 = 999; 976 + 24 = 1000 also fits; 977 + 24 = 1001).
    const plan = computePayouts({
      escrow: 1000n,
      feeBps: 250,
      contributions: [
        { trainer: A, score: 1n },
        { trainer: B, score: 3n },
      ],
    });
    expect(plan.budget).toBe(976n);
    // A: ⌊976/4⌋ = 244, B: ⌊976·3/4⌋ = 732; total 976, fee ⌊976·0.025⌋ = 24, refund 0.
    expect(plan.leaves).toEqual([
      { trainer: A, amount: 244n },
      { trainer: B, amount: 732n },
    ]);
    expect([plan.payoutTotal, plan.fee, plan.refund]).toEqual([976n, 24n, 0n]);
  });

  it("gives the rounding remainder to the researcher and conserves the escrow to the wei", () => {
    // Budget with no fee is the escrow, 100; thirds round down to 33 each, 1 wei is refunded.
    const plan = computePayouts({
      escrow: 100n,
      feeBps: 0,
      contributions: [
        { trainer: C, score: 5n },
        { trainer: A, score: 5n },
        { trainer: B, score: 5n },
      ],
    });
    expect(plan.leaves.map((leaf) => leaf.amount)).toEqual([33n, 33n, 33n]);
    expect(plan.leaves.map((leaf) => leaf.trainer)).toEqual([A, B, C]);
    expect(plan.refund).toBe(1n);
  });

  it("adds the scores of one address given in different cases and drops zero amounts", () => {
    const upper = A.toUpperCase().replace("0X", "0x") as Address;
    const plan = computePayouts({
      escrow: 10n ** 18n,
      feeBps: 100,
      contributions: [
        { trainer: A, score: 1n },
        { trainer: upper, score: 1n },
        { trainer: B, score: 2n },
        { trainer: C, score: 0n },
      ],
    });
    expect(plan.leaves).toHaveLength(2);
    expect(plan.leaves[0]?.amount).toBe(plan.leaves[1]?.amount);
    expect(plan.fee + plan.payoutTotal + plan.refund).toBe(10n ** 18n);
  });

  it("never lets payout plus fee exceed the escrow, for many escrows and fees (checked against the contract's rule)", () => {
    for (const feeBps of [0n, 1n, 250n, 3333n, 9999n, 10_000n]) {
      for (let escrow = 2n; escrow < 400n; escrow += 7n) {
        const plan = computePayouts({ escrow, feeBps, contributions: [{ trainer: A, score: 1n }] });
        const fee = (plan.payoutTotal * feeBps) / 10_000n; // TrainingJobs.finalizeJob
        expect(plan.fee).toBe(fee);
        expect(plan.payoutTotal + fee).toBeLessThanOrEqual(escrow);
        // Maximal: one more wei of payout would break the contract's check.
        expect(plan.payoutTotal + 1n + ((plan.payoutTotal + 1n) * feeBps) / 10_000n).toBeGreaterThan(escrow);
      }
    }
  });

  it("refuses what finalizeJob would reject, saying why", () => {
    expect(() => computePayouts({ escrow: 100n, feeBps: 0, contributions: [{ trainer: A, score: 0n }] })).toThrow(
      /no contributor has a positive score/,
    );
    expect(() => computePayouts({ escrow: 100n, feeBps: 0, contributions: [{ trainer: A, score: -1n }] })).toThrow(
      PayoutInputError,
    );
    expect(() => computePayouts({ escrow: 100n, feeBps: 10_001, contributions: [] })).toThrow(/feeBps/);
    expect(() =>
      computePayouts({
        escrow: 1n,
        feeBps: 0,
        contributions: [
          { trainer: A, score: 1n },
          { trainer: B, score: 1n },
        ],
      }),
    ).toThrow(/rounds every contributor's amount to 0/);
  });
});
