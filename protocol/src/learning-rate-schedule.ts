import { z } from "zod";

/**
 * How the local learning rate moves over a job's rounds. `constant`: every round trains at the spec's
 * `learningRate`. `cosine`: round r of R trains at lr·(f + (1 − f)·½(1 + cos(π·r/(R − 1)))), from lr in round 0
 * down to f·lr in the last round (f = `finalFraction`). Under label skew each owner's local epoch pulls the model
 * towards its own classes by a step proportional to the learning rate, so FedAvg at a constant rate keeps moving
 * around the optimum by that much; decaying it lets the last rounds settle (FedAvg's convergence under
 * heterogeneous data needs a decaying rate: Li et al. 2020, "On the Convergence of FedAvg on Non-IID Data").
 */
export const LearningRateScheduleSchema = z.discriminatedUnion("kind", [
  z.strictObject({ kind: z.literal("constant") }),
  z.strictObject({ kind: z.literal("cosine"), finalFraction: z.number().min(0).max(1).default(0.1) }),
]);
export type LearningRateSchedule = z.infer<typeof LearningRateScheduleSchema>;

/**
 * The learning rate of `round` (0 … rounds − 1) under `schedule` (absent: constant). The coordinator sends it in
 * each train instruction and the trainer recomputes it to check the instruction, so both call this one function.
 */
export function roundLearningRate(
  learningRate: number,
  schedule: LearningRateSchedule | undefined,
  round: number,
  rounds: number,
): number {
  if (schedule === undefined || schedule.kind === "constant" || rounds <= 1) return learningRate;
  const progress = Math.min(1, Math.max(0, round / (rounds - 1)));
  const f = schedule.finalFraction;
  return learningRate * (f + (1 - f) * 0.5 * (1 + Math.cos(Math.PI * progress)));
}
