import { z } from "zod";

/**
 * SecAgg+ parameters of a job (Bell et al. 2020). Each round's trainers are placed on a k-regular communication
 * graph (a Harary graph over a permutation seeded by the job and round); each shares its self-mask seed and its
 * masking key with its `neighbours` with threshold `threshold`, so the coordinator can finish the round as long as
 * every survivor and every trainer that dropped after sharing keeps `threshold` neighbours answering the unmasking.
 * Updates are clipped per coordinate to ±`quantisation.clip` and rounded to integers at `scale` steps per unit,
 * summed modulo 2^32. `scale` omitted: the largest that keeps the sum of `clients.max` updates inside ±2^31.
 */
export const SecureAggregationSpecSchema = z
  .strictObject({
    /** Shares needed to reconstruct a secret (t); more than half of `neighbours`, so no two disjoint sets of
     * neighbours can reveal both secrets of one trainer. */
    threshold: z.number().int().min(1).max(9_999),
    /** Neighbours of each trainer in the communication graph (k), even; a round with at most k + 1 trainers uses
     * the complete graph (Bonawitz et al. 2017). */
    neighbours: z.number().int().min(2).max(9_998),
    quantisation: z.strictObject({
      /** Per-coordinate clipping bound of an update before quantisation, in the update's units. */
      clip: z.number().positive().max(1e6),
      /** Quantisation steps per unit. */
      scale: z
        .number()
        .positive()
        .max(2 ** 31)
        .optional(),
    }),
  })
  .superRefine((spec, ctx) => {
    if (spec.neighbours % 2 !== 0) {
      ctx.addIssue({ code: "custom", path: ["neighbours"], message: "must be even (a Harary graph H(k, n))" });
    }
    if (spec.threshold > spec.neighbours) {
      ctx.addIssue({ code: "custom", path: ["threshold"], message: "must not exceed neighbours" });
    }
    if (2 * spec.threshold <= spec.neighbours) {
      ctx.addIssue({
        code: "custom",
        path: ["threshold"],
        message:
          "must be more than half of neighbours (otherwise the coordinator could learn both secrets of a trainer)",
      });
    }
  });
export type SecureAggregationSpec = z.infer<typeof SecureAggregationSpecSchema>;

/** Largest |sum| of quantised updates that decodes unambiguously from 32-bit words: 2^31 − 1. */
export const SECAGG_SUM_BOUND = 2 ** 31 - 1;

/**
 * The quantisation scale of a job: the spec's, or the largest power of two s such that `maxClients` updates
 * clipped to ±clip, each rounded to the nearest step, sum to at most 2^31 − 1 in absolute value
 * (maxClients · (clip · s + 1/2) ≤ 2^31 − 1). Throws `RangeError` when no scale ≥ 1/clip fits.
 */
export function secAggScale(spec: SecureAggregationSpec, maxClients: number): number {
  const { clip, scale } = spec.quantisation;
  const fits = (s: number) => maxClients * (Math.round(clip * s) + 0.5) <= SECAGG_SUM_BOUND;
  if (scale !== undefined) {
    if (!fits(scale))
      throw new RangeError(`scale ${scale} overflows 32 bits with ${maxClients} trainers at clip ${clip}`);
    return scale;
  }
  let s = 2 ** Math.floor(Math.log2(SECAGG_SUM_BOUND / (maxClients * clip)));
  while (s > 0 && !fits(s)) s /= 2;
  if (!(s * clip >= 1)) throw new RangeError(`clip ${clip} with ${maxClients} trainers leaves no quantisation step`);
  return s;
}
