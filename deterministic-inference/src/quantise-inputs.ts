import { DeterministicInputError } from "./deterministic-errors.js";
import { ACTIVATION_LIMIT, roundHalfUp, saturate } from "./fixed-point-format.js";
import type { QuantisedModel } from "./quantised-model.js";

/**
 * The request's inputs in fixed point: each float32 value `x` becomes `saturate(⌊x · 2^F_A + 1/2⌋, 2^23 − 1)` (the
 * product is exact in float64). Inputs are float32 (as a provider receives them, JSON numbers included), so the
 * buyer who sent them gets the same integers. `DeterministicInputError` for a value that is not finite.
 */
export function quantiseInputs(
  model: Pick<QuantisedModel, "activationFractionBits">,
  inputs: Float32Array,
): Int32Array {
  const scale = 2 ** model.activationFractionBits;
  const quantised = new Int32Array(inputs.length);
  for (let i = 0; i < inputs.length; i++) {
    const value = inputs[i] as number;
    if (!Number.isFinite(value)) {
      throw new DeterministicInputError(`input ${i} is ${value}, not a finite number`, { index: i });
    }
    quantised[i] = saturate(roundHalfUp(value * scale), ACTIVATION_LIMIT);
  }
  return quantised;
}

/** Fixed-point values (inputs, activations, logits) as the reals they stand for: `q · 2^-F_A`, exact in float64. */
export function dequantise(model: Pick<QuantisedModel, "activationFractionBits">, values: Int32Array): Float64Array {
  const scale = 2 ** -model.activationFractionBits;
  const reals = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) reals[i] = (values[i] as number) * scale;
  return reals;
}
