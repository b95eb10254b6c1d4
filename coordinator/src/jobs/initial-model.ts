import { randomFillSync } from "node:crypto";
import { layoutLength, type ModelLayout, tensorSize } from "@tributary/protocol";

/**
 * The round-0 global model: kernels drawn from Glorot/Xavier uniform (Glorot & Bengio 2010, the Keras and tfjs
 * default), U(−l, l) with l = √(6 / (fan_in + fan_out)), where a kernel `[..., in, out]` has
 * fan_in = receptive field × in and fan_out = receptive field × out; biases (rank-1 tensors) start at zero.
 */
export function initialModel(layout: ModelLayout): Float32Array {
  const weights = new Float32Array(layoutLength(layout));
  const random = new Uint32Array(4096);
  let used = random.length;
  let offset = 0;
  for (const tensor of layout) {
    const size = tensorSize(tensor.shape);
    if (tensor.shape.length >= 2) {
      const inputs = tensor.shape.at(-2) as number;
      const outputs = tensor.shape.at(-1) as number;
      const receptive = size / (inputs * outputs);
      const limit = Math.sqrt(6 / (receptive * inputs + receptive * outputs));
      for (let index = 0; index < size; index++) {
        if (used === random.length) {
          randomFillSync(random);
          used = 0;
        }
        const unit = (random[used++] as number) / 4_294_967_296; // [0, 1)
        weights[offset + index] = (2 * unit - 1) * limit;
      }
    }
    offset += size;
  }
  return weights;
}
