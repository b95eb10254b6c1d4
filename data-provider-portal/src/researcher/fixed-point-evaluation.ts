import { DeterministicModel, dequantise } from "@tributary/deterministic-inference";
import type { ModelSpec, ValidationSet } from "@tributary/protocol";

/** The final model's score on the validation set, as `ModelMetadata.validation` holds it. */
export interface FixedPointScore {
  readonly examples: number;
  readonly accuracy: number;
  readonly loss: number;
}

/**
 * Evaluates a classifier on a validation set in the browser with the deterministic fixed-point runner (the same
 * integers any buyer, provider or challenger recomputes from the weights): accuracy is the share of examples whose
 * largest logit is the label's, loss the mean cross-entropy of the softmax of the dequantised logits. The CLI
 * evaluates in float32 with tfjs; the two agree up to the quantisation (the accuracy exactly unless two classes'
 * logits tie within it). Regression models are not evaluated here.
 */
export function evaluateFixedPoint(spec: ModelSpec, weights: Float32Array, set: ValidationSet): FixedPointScore {
  const model = DeterministicModel.fromFloat(spec, weights);
  const answer = model.infer(set.features);
  const logits = dequantise(model.model, answer.logits);
  const classes = model.outputSize;
  let correct = 0;
  let loss = 0;
  for (let example = 0; example < answer.count; example++) {
    const row = logits.subarray(example * classes, (example + 1) * classes);
    const label = set.labels[example] as number;
    let best = 0;
    let max = -Infinity;
    for (let k = 0; k < classes; k++) {
      if ((row[k] as number) > max) {
        max = row[k] as number;
        best = k;
      }
    }
    if (best === label) correct++;
    let sum = 0;
    for (let k = 0; k < classes; k++) sum += Math.exp((row[k] as number) - max);
    loss += Math.log(sum) - ((row[label] as number) - max);
  }
  return { examples: answer.count, accuracy: correct / answer.count, loss: loss / answer.count };
}
