/**
 * The hook where DP-SGD plugs into local training. When `trainLocal` is given a transform, each batch is split
 * into microbatches (size 1 = per-example gradients), the gradient of the mean data loss over each microbatch is
 * computed separately, flattened in `modelLayout` order, and handed to the transform, which returns the single
 * gradient the optimiser applies for that step.
 *
 * DP-SGD (Abadi et al. 2016) is then: clip each microbatch gradient to norm C, sum, add Gaussian noise N(0, σ²C²)
 * per coordinate, divide by the number of microbatches. The FedProx proximal term μ(w − w_global) does not touch
 * the data, so it is added after the transform and costs no privacy.
 */
export interface MicrobatchGradients {
  /** One flat gradient per microbatch (each of `parameterCount` floats); the transform may modify them in place. */
  readonly gradients: readonly Float32Array[];
  /** Records in each microbatch; the last one of an epoch may be smaller. */
  readonly sizes: readonly number[];
  /** 0-based optimisation step within this call of `trainLocal`. */
  readonly step: number;
}

/** Returns the gradient to apply (length `parameterCount`); may be async (e.g. to draw noise). */
export type GradientTransform = (batch: MicrobatchGradients) => Float32Array | Promise<Float32Array>;

/**
 * The transform that changes nothing: the record-weighted mean of the microbatch gradients, which equals the
 * gradient of the batch's mean loss. Useful as a baseline and to check the per-microbatch path.
 */
export function averageMicrobatchGradients(batch: MicrobatchGradients): Float32Array {
  const first = batch.gradients[0];
  if (first === undefined) throw new Error("a batch has at least one microbatch");
  const total = batch.sizes.reduce((a, b) => a + b, 0);
  const out = new Float32Array(first.length);
  batch.gradients.forEach((gradient, j) => {
    const weight = (batch.sizes[j] ?? 0) / total;
    for (let i = 0; i < out.length; i++) out[i] = (out[i] as number) + weight * (gradient[i] as number);
  });
  return out;
}
