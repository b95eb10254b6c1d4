import { addGaussianNoise, clipPerExample } from "@tributary/privacy";
import { TributaryError } from "@tributary/protocol";
import type { GradientTransform, MicrobatchGradients } from "../gradient-transform.js";

/** A DP-SGD round tried to take more steps than it was charged for (it is stopped before reading the batch). */
export class UnchargedStepError extends TributaryError {
  constructor(steps: number) {
    super("PRIVACY_STEP_NOT_CHARGED", `the round was charged for ${steps} DP-SGD steps and tried to take more`, {
      details: { steps },
    });
  }
}

/** What a DP-SGD transform needs of a charged round: its steps, clipping norm C and noise multiplier σ. */
export interface ChargedSteps {
  readonly steps: number;
  readonly l2NormClip: number;
  readonly noiseMultiplier: number;
}

/**
 * The DP-SGD step for `trainLocal`: each microbatch gradient clipped to C, summed, Gaussian noise of standard
 * deviation σC added (the lattice-safe mechanism, CSPRNG noise), divided by the expected number of microbatches.
 * A step beyond the `steps` charged throws `UnchargedStepError` before it reads anything.
 */
export function dpSgdTransform(charged: ChargedSteps, expectedMicrobatches: number): GradientTransform {
  const stddev = charged.noiseMultiplier * charged.l2NormClip;
  let stepsTaken = 0;
  return (batch: MicrobatchGradients) => {
    if (stepsTaken >= charged.steps) throw new UnchargedStepError(charged.steps);
    stepsTaken++;
    const first = batch.gradients[0];
    if (first === undefined) throw new RangeError("a batch has at least one microbatch");
    const rows = new Float32Array(batch.gradients.length * first.length);
    for (const [row, gradient] of batch.gradients.entries()) rows.set(gradient, row * first.length);
    const out = new Float32Array(first.length);
    clipPerExample(rows, batch.gradients.length, charged.l2NormClip, out);
    addGaussianNoise(out, stddev, { sensitivity: charged.l2NormClip });
    for (let index = 0; index < out.length; index++) out[index] = (out[index] as number) / expectedMicrobatches;
    return out;
  };
}
