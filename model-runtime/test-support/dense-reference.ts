/**
 * A second implementation, for tests: the forward pass of a stack of dense layers and its mean cross-entropy and
 * accuracy, in plain float64 JavaScript, reading the flat weights in the documented layout (per layer a kernel
 * `[inputs, units]` row-major, then a bias `[units]`). Shares no code with the tfjs runtime.
 */

export interface DenseReferenceLayer {
  readonly units: number;
  readonly activation: "linear" | "relu" | "softmax";
}

/** Outputs of the dense stack for one example `x`. */
export function denseForward(
  flat: Float32Array,
  layers: readonly DenseReferenceLayer[],
  x: readonly number[],
): readonly number[] {
  let values = x;
  let offset = 0;
  for (const layer of layers) {
    const inputs = values.length;
    const biasAt = offset + inputs * layer.units;
    const z: number[] = [];
    for (let u = 0; u < layer.units; u++) {
      let sum = flat[biasAt + u] as number;
      for (let i = 0; i < inputs; i++) sum += (values[i] as number) * (flat[offset + i * layer.units + u] as number);
      z.push(sum);
    }
    offset = biasAt + layer.units;
    if (layer.activation === "relu") values = z.map((v) => Math.max(0, v));
    else if (layer.activation === "softmax") {
      const max = Math.max(...z);
      const exps = z.map((v) => Math.exp(v - max));
      const total = exps.reduce((a, b) => a + b, 0);
      values = exps.map((e) => e / total);
    } else values = z;
  }
  return values;
}

/**
 * Mean sparse categorical cross-entropy (probabilities clipped to [1e-7, 1 − 1e-7], as Keras does) and accuracy
 * (first index of the largest probability) over `count` examples of `size` features, each multiplied by `scale`.
 */
export function denseReferenceScores(
  flat: Float32Array,
  layers: readonly DenseReferenceLayer[],
  features: Float32Array,
  labels: Int32Array,
  scale = 1,
): { loss: number; accuracy: number } {
  const count = labels.length;
  const size = features.length / count;
  let loss = 0;
  let correct = 0;
  for (let n = 0; n < count; n++) {
    const x = Array.from(features.subarray(n * size, (n + 1) * size), (v) => v * scale);
    const p = denseForward(flat, layers, x);
    const label = labels[n] as number;
    loss -= Math.log(Math.min(Math.max(p[label] as number, 1e-7), 1 - 1e-7));
    if (p.indexOf(Math.max(...p)) === label) correct++;
  }
  return { loss: loss / count, accuracy: correct / count };
}
