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

  it("pays each contributor its floor first and splits the rest by score, worked by hand", () => {
    // Escrow 1000 at 2.5 %: budget 976 (as above). Floors: A took part in 2 rounds at 50, B in 3 at 20 → F = 160.
    // Rest 976 − 160 = 816, split 1:3 → A 204, B 612. A: 100 + 204 = 304, B: 60 + 612 = 672; total 976, fee 24.
    const plan = computePayouts({
      escrow: 1000n,
      feeBps: 250,
      contributions: [
        { trainer: A, score: 1n, floor: 100n },
        { trainer: B, score: 3n, floor: 60n },
      ],
    });
    expect([plan.budget, plan.floorTotal, plan.floorsCovered]).toEqual([976n, 160n, true]);
    expect(plan.leaves).toEqual([
      { trainer: A, amount: 304n },
      { trainer: B, amount: 672n },
    ]);
    expect([plan.payoutTotal, plan.fee, plan.refund]).toEqual([976n, 24n, 0n]);
  });

  it("pays a contributor with a zero score its floor, and only floors when no score is positive", () => {
    // No fee: budget 100. C scores 0 but took part (floor 10); rest 100 − 10 − 10 = 80 goes to A (the only score).
    const plan = computePayouts({
      escrow: 100n,
      feeBps: 0,
      contributions: [
        { trainer: A, score: 7n, floor: 10n },
        { trainer: C, score: 0n, floor: 10n },
      ],
    });
    expect(plan.leaves).toEqual([
      { trainer: A, amount: 90n },
      { trainer: C, amount: 10n },
    ]);
    // Every score 0 (e.g. leave-one-out found no update helped): floors 10 + 15 are paid, the other 75 refunded.
    const floorsOnly = computePayouts({
      escrow: 100n,
      feeBps: 0,
      contributions: [
        { trainer: A, score: 0n, floor: 10n },
        { trainer: B, score: 0n, floor: 15n },
      ],
    });
    expect(floorsOnly.leaves.map((leaf) => leaf.amount)).toEqual([10n, 15n]);
    expect(floorsOnly.refund).toBe(75n);
  });

  it("scales the floors down pro rata, and pays nothing by score, when the escrow cannot cover them", () => {
    // No fee: budget 100 < F = 60 + 90 = 150 → A ⌊100·60/150⌋ = 40, B ⌊100·90/150⌋ = 60, whatever the scores.
    const plan = computePayouts({
      escrow: 100n,
      feeBps: 0,
      contributions: [
        { trainer: A, score: 9n, floor: 60n },
        { trainer: B, score: 1n, floor: 90n },
      ],
    });
    expect(plan.floorsCovered).toBe(false);
    expect(plan.leaves.map((leaf) => leaf.amount)).toEqual([40n, 60n]);
    expect(plan.refund).toBe(0n);
    // At a 1 % fee: budget 99 (99 + 0 ≤ 100; 100 + 1 > 100) → A ⌊99·60/150⌋ = 39, B ⌊99·90/150⌋ = 59; fee ⌊0.98⌋ = 0.
    const withFee = computePayouts({
      escrow: 100n,
      feeBps: 100,
      contributions: [
        { trainer: A, score: 9n, floor: 60n },
        { trainer: B, score: 1n, floor: 90n },
      ],
    });
    expect(withFee.leaves.map((leaf) => leaf.amount)).toEqual([39n, 59n]);
    expect([withFee.payoutTotal, withFee.fee, withFee.refund]).toEqual([98n, 0n, 2n]);
  });

  it("keeps payout plus fee within the escrow with floors, covered or not (the contract's rule)", () => {
    for (const feeBps of [0n, 250n, 9999n]) {
      for (let escrow = 13n; escrow < 300n; escrow += 11n) {
        for (const floor of [0n, 1n, 30n, 200n]) {
          const plan = computePayouts({
            escrow,
            feeBps,
            contributions: [
              { trainer: A, score: 2n, floor },
              { trainer: B, score: 1n, floor: floor * 2n },
            ],
          });
          const fee = (plan.payoutTotal * feeBps) / 10_000n;
          expect(plan.fee).toBe(fee);
          expect(plan.payoutTotal + fee).toBeLessThanOrEqual(escrow);
          expect(plan.fee + plan.payoutTotal + plan.refund).toBe(escrow);
        }
      }
    }
    expect(() =>
      computePayouts({ escrow: 100n, feeBps: 0, contributions: [{ trainer: A, score: 1n, floor: -1n }] }),
    ).toThrow(/floor of .* is negative/);
  });
});
