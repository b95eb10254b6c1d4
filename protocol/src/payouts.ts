import { TributaryError } from "./errors.js";
import type { Address } from "./ids.js";
import type { PayoutLeaf } from "./merkle-leaves.js";

const BPS = 10_000n;

/** A contributor's cumulative score over a job's rounds (sum of its round leaves' fixed-point scores). */
export interface Contribution {
  readonly trainer: Address;
  readonly score: bigint;
  /**
   * What the contributor is owed before any split by score, in payment-token units: its dataset's
   * `pricePerRound` × the rounds it took part in (rounds with an update the aggregation used). Default 0.
   */
  readonly floor?: bigint;
}

/** What `finalizeJob` posts and what everyone ends up with, to the wei. */
export interface PayoutPlan {
  /** The largest payout total the escrow allows once the fee on it is added (`budget + fee(budget) ≤ escrow`). */
  readonly budget: bigint;
  /** Σ floors: what the contributors are owed for their rounds before the split by score. */
  readonly floorTotal: bigint;
  /** False when the budget could not cover the floors: then they were scaled down pro rata, nothing by score. */
  readonly floorsCovered: boolean;
  /** Σ amounts: what contributors can claim (`finalizeJob`'s `payoutTotal`). */
  readonly payoutTotal: bigint;
  /** The protocol fee TrainingJobs takes on `payoutTotal`: ⌊payoutTotal · feeBps / 10 000⌋. */
  readonly fee: bigint;
  /** What the researcher reclaims: escrow − fee − payoutTotal (the rounding remainder included). */
  readonly refund: bigint;
  /** One leaf per contributor with a positive amount, ordered by address (lower-case). */
  readonly leaves: readonly PayoutLeaf[];
}

export class PayoutInputError extends TributaryError {
  constructor(message: string, details: Record<string, unknown>) {
    super("PAYOUT_INPUT", message, { details });
  }
}

/** TrainingJobs' fee on a payout total: ⌊total · feeBps / 10 000⌋. */
export function payoutFee(total: bigint, feeBps: bigint): bigint {
  return (total * feeBps) / BPS;
}

/**
 * Splits a job's escrow as `finalizeJob` must post it. The payout budget B is the largest total with
 * B + fee(B) ≤ escrow. Each contributor i is first owed its floor fᵢ (its dataset's `pricePerRound` for every
 * round it took part in; F = Σ fᵢ), and the rest of the budget is split by cumulative score:
 *   amountᵢ = fᵢ + ⌊(B − F) · sᵢ / Σs⌋                      when F ≤ B (nothing by score when Σs = 0);
 *   amountᵢ = ⌊B · fᵢ / F⌋                                  when F > B: the escrow cannot cover the floors, so
 *                                                           they are scaled down pro rata and nothing is split by
 *                                                           score (`floorsCovered` false). Such a job should never
 *                                                           run: owners' agents refuse an escrow below
 *                                                           price × rounds, and so should the coordinator's adopter.
 * Floors and scores of the same address (in any case) are added first. The fee is charged on what is actually paid
 * out and the researcher reclaims the rest, so fee + Σ amounts + refund == escrow exactly and Σ amounts ≤ B.
 * Contributors whose amount rounds to 0 get no leaf. Throws `PayoutInputError` for a negative score, floor or
 * escrow, a fee outside [0, 10 000] bps, or when nothing would be paid (no positive score or floor, or an escrow
 * too small for any amount: finalizeJob requires a positive total).
 */
export function computePayouts(input: {
  readonly escrow: bigint;
  readonly feeBps: bigint | number;
  readonly contributions: readonly Contribution[];
}): PayoutPlan {
  const escrow = input.escrow;
  const feeBps = BigInt(input.feeBps);
  if (escrow < 0n)
    throw new PayoutInputError(`escrow must not be negative (got ${escrow})`, { escrow: String(escrow) });
  if (feeBps < 0n || feeBps > BPS) {
    throw new PayoutInputError(`feeBps must be in [0, 10000] (got ${feeBps})`, { feeBps: String(feeBps) });
  }
  const scores = new Map<string, bigint>();
  const floors = new Map<string, bigint>();
  for (const { trainer, score, floor = 0n } of input.contributions) {
    if (score < 0n) {
      throw new PayoutInputError(`the score of ${trainer} is negative (${score})`, { trainer, score: String(score) });
    }
    if (floor < 0n) {
      throw new PayoutInputError(`the floor of ${trainer} is negative (${floor})`, { trainer, floor: String(floor) });
    }
    const key = trainer.toLowerCase();
    scores.set(key, (scores.get(key) ?? 0n) + score);
    floors.set(key, (floors.get(key) ?? 0n) + floor);
  }
  let totalScore = 0n;
  for (const score of scores.values()) totalScore += score;
  let floorTotal = 0n;
  for (const floor of floors.values()) floorTotal += floor;
  if (totalScore === 0n && floorTotal === 0n) {
    throw new PayoutInputError("no contributor has a positive score or floor: there is nothing to pay out", {
      contributors: scores.size,
    });
  }
  let budget = (escrow * BPS) / (BPS + feeBps);
  while (budget + 1n + payoutFee(budget + 1n, feeBps) <= escrow) budget += 1n;
  const floorsCovered = floorTotal <= budget;
  const rest = floorsCovered ? budget - floorTotal : 0n;
  const leaves: PayoutLeaf[] = [];
  let payoutTotal = 0n;
  for (const trainer of [...scores.keys()].sort()) {
    const floor = floors.get(trainer) as bigint;
    const byScore = totalScore === 0n ? 0n : (rest * (scores.get(trainer) as bigint)) / totalScore;
    const amount = floorsCovered ? floor + byScore : (budget * floor) / floorTotal;
    if (amount === 0n) continue;
    leaves.push({ trainer: trainer as Address, amount });
    payoutTotal += amount;
  }
  if (payoutTotal === 0n) {
    throw new PayoutInputError(`an escrow of ${escrow} rounds every contributor's amount to 0`, {
      escrow: String(escrow),
    });
  }
  const fee = payoutFee(payoutTotal, feeBps);
  return { budget, floorTotal, floorsCovered, payoutTotal, fee, refund: escrow - fee - payoutTotal, leaves };
}
