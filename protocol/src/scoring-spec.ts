import { z } from "zod";
import { CidSchema } from "./ids.js";

/**
 * How the coordinator scores each accepted update of a round (its share of the round, anchored in the round's
 * leaves and paid from the job's escrow at the end):
 * - `leave-one-out`: v(all) − v(all without the update), where v is minus the validation loss of the FedAvg
 *   aggregate on the researcher's held-out set;
 * - `gtg-shapley`: Shapley values with the same utility: exact (all 2^n coalitions) for rounds of at most 12
 *   accepted updates, beyond that estimated (`estimator`): by default Stratified-Shapley (per coalition size, a
 *   least-squares fit over paired samples drawn without replacement, which stops once the estimated L1 error of
 *   the round's paid shares is within `tolerance`), or GTG-Shapley (Liu et al. 2022, truncated Monte-Carlo over
 *   permutations, which stops once its standard error is within 5 % of what the round pays, or at
 *   `maxPermutations`);
 * - `examples`: the update's share of the round's training examples (no validation set, no evaluation: what
 *   FedAvg weighs it by, not what it added).
 * Negative contributions count as 0 and updates the aggregation rule rejected (e.g. not selected by Krum) score
 * exactly 0; each round's scores are normalised to sum to 1.
 */
export const ScoringSpecSchema = z.discriminatedUnion("method", [
  z.strictObject({ method: z.literal("examples") }),
  z.strictObject({
    method: z.literal("leave-one-out"),
    /** Blob (uploaded to the coordinator) holding the held-out set in `encodeValidationSet`'s format. */
    validationSetCid: CidSchema,
  }),
  z.strictObject({
    method: z.literal("gtg-shapley"),
    validationSetCid: CidSchema,
    /**
     * How rounds of more than 12 accepted updates are estimated: `stratified` (default, Stratified-Shapley) or `gtg`
     * (GTG-Shapley, what the coordinator used for them before Stratified-Shapley).
     */
    estimator: z.enum(["stratified", "gtg"]).optional(),
    /** `stratified`: stop once the estimated L1 error of the round's paid shares is at most this (default 0.06). */
    tolerance: z.number().positive().max(2).optional(),
    /** `stratified`: upper bound on evaluated coalitions per round (default max(1000, 2n(n + 1))). */
    maxEvaluations: z.number().int().positive().max(1_000_000).optional(),
    /** `gtg`: upper bound on sampled permutations per round (default max(1000, 20n)). */
    maxPermutations: z.number().int().positive().max(100_000).optional(),
    /**
     * ε_b (both estimators: a round with |v(N) − v(∅)| ≤ ε_b scores 0 everywhere) and ε_i (`gtg` only), in
     * validation-loss units (default 1e-3 each).
     */
    betweenRoundTruncation: z.number().min(0).optional(),
    withinRoundTruncation: z.number().min(0).optional(),
  }),
]);
export type ScoringSpec = z.infer<typeof ScoringSpecSchema>;
