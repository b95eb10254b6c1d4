import { DeterministicInputError } from "./deterministic-errors.js";
import { ACTIVATION_LIMIT } from "./fixed-point-format.js";
import { type ModelPlan, planModel, windowAxis } from "./model-plan.js";
import type {
  QuantisedConv2d,
  QuantisedDense,
  QuantisedLayer,
  QuantisedMaxPool2d,
  QuantisedModel,
} from "./quantised-model.js";

/**
 * `acc` (an integer accumulator at F_A + F_W bits) back to F_A bits: round half up by `shift`, saturate to
 * ±ACTIVATION_LIMIT, then ReLU if asked. Written out (rather than calling `roundShift`/`saturate`) so the hot loops
 * stay monomorphic; the rule is the one `fixed-point-format.ts` states.
 */
function requantise(acc: number, half: number, scale: number, relu: boolean): number {
  let value = Math.floor((acc + half) * scale);
  if (value > ACTIVATION_LIMIT) value = ACTIVATION_LIMIT;
  else if (value < -ACTIVATION_LIMIT) value = -ACTIVATION_LIMIT;
  return relu && value < 0 ? 0 : value;
}

function dense(
  layer: QuantisedDense,
  kernel: Float64Array,
  positions: number,
  src: Float64Array,
  dst: Float64Array,
  acc: Float64Array,
) {
  const { inputs, units, bias, relu } = layer;
  const shift = layer.weightFractionBits;
  const half = shift === 0 ? 0 : 2 ** (shift - 1);
  const scale = 2 ** -shift;
  for (let position = 0; position < positions; position++) {
    acc.set(bias);
    const from = position * inputs;
    for (let i = 0; i < inputs; i++) {
      const a = src[from + i] as number;
      if (a === 0) continue;
      const row = i * units;
      for (let j = 0; j < units; j++) acc[j] = (acc[j] as number) + a * (kernel[row + j] as number);
    }
    const to = position * units;
    for (let j = 0; j < units; j++) dst[to + j] = requantise(acc[j] as number, half, scale, relu);
  }
}

function conv2d(
  layer: QuantisedConv2d,
  kernel: Float64Array,
  shape: readonly number[],
  src: Float64Array,
  dst: Float64Array,
  acc: Float64Array,
): void {
  const [height, width, channels] = shape as [number, number, number];
  const [kh, kw] = layer.kernelSize;
  const [sh, sw] = layer.strides;
  const { filters, bias, relu } = layer;
  const rows = windowAxis(height, kh, sh, layer.padding);
  const cols = windowAxis(width, kw, sw, layer.padding);
  const shift = layer.weightFractionBits;
  const half = shift === 0 ? 0 : 2 ** (shift - 1);
  const scale = 2 ** -shift;
  let out = 0;
  for (let oy = 0; oy < rows.output; oy++) {
    for (let ox = 0; ox < cols.output; ox++) {
      acc.set(bias);
      for (let ky = 0; ky < kh; ky++) {
        const iy = oy * sh - rows.padBefore + ky;
        if (iy < 0 || iy >= height) continue;
        for (let kx = 0; kx < kw; kx++) {
          const ix = ox * sw - cols.padBefore + kx;
          if (ix < 0 || ix >= width) continue;
          const pixel = (iy * width + ix) * channels;
          const tap = (ky * kw + kx) * channels;
          for (let c = 0; c < channels; c++) {
            const a = src[pixel + c] as number;
            if (a === 0) continue;
            const row = (tap + c) * filters;
            for (let f = 0; f < filters; f++) acc[f] = (acc[f] as number) + a * (kernel[row + f] as number);
          }
        }
      }
      for (let f = 0; f < filters; f++) dst[out++] = requantise(acc[f] as number, half, scale, relu);
    }
  }
}

function maxPool2d(layer: QuantisedMaxPool2d, shape: readonly number[], src: Float64Array, dst: Float64Array): void {
  const [height, width, channels] = shape as [number, number, number];
  const [ph, pw] = layer.poolSize;
  const [sh, sw] = layer.strides;
  const rows = windowAxis(height, ph, sh, layer.padding);
  const cols = windowAxis(width, pw, sw, layer.padding);
  let out = 0;
  for (let oy = 0; oy < rows.output; oy++) {
    const y0 = Math.max(0, oy * sh - rows.padBefore);
    const y1 = Math.min(height, oy * sh - rows.padBefore + ph);
    for (let ox = 0; ox < cols.output; ox++) {
      const x0 = Math.max(0, ox * sw - cols.padBefore);
      const x1 = Math.min(width, ox * sw - cols.padBefore + pw);
      for (let c = 0; c < channels; c++) {
        let max = Number.NEGATIVE_INFINITY;
        for (let y = y0; y < y1; y++) {
          for (let x = x0; x < x1; x++) {
            const value = src[(y * width + x) * channels + c] as number;
            if (value > max) max = value;
          }
        }
        dst[out++] = max;
      }
    }
  }
}

/**
 * Evaluates a quantised model on integer inputs, example by example, into integer logits: the arithmetic of
 * `fixed-point-format.ts`, every intermediate an exact integer, so the same on every machine. Scratch buffers are
 * allocated once per runner; a runner is not re-entrant (one `run` at a time).
 */
export class FixedPointRunner {
  readonly model: QuantisedModel;
  readonly plan: ModelPlan;
  readonly #a: Float64Array;
  readonly #b: Float64Array;
  readonly #acc: Float64Array;
  /** Each dense or conv2d kernel as float64 (the same integers; the inner loops then convert nothing). */
  readonly #kernels: readonly (Float64Array | undefined)[];
  /** Values entering each layer. */
  readonly #sizes: readonly number[];

  /** Checks the model (`planModel`: `QuantisedModelError` when it breaks the format). */
  constructor(model: QuantisedModel) {
    this.model = model;
    this.plan = planModel(model);
    this.#a = new Float64Array(this.plan.maxActivation);
    this.#b = new Float64Array(this.plan.maxActivation);
    this.#acc = new Float64Array(this.plan.maxAccumulators);
    this.#kernels = model.layers.map((layer) =>
      layer.op === "dense" || layer.op === "conv2d" ? Float64Array.from(layer.kernel) : undefined,
    );
    this.#sizes = this.plan.shapes.map((shape) => shape.reduce((total, dim) => total * dim, 1));
  }

  /**
   * The logits of every example: `inputs` holds whole examples (quantised, |q| ≤ ACTIVATION_LIMIT) one after
   * another; the answer holds `outputSize` integers per example, in the same order. `DeterministicInputError` when
   * the length is not whole examples or a value is out of range.
   */
  run(inputs: Int32Array): Int32Array {
    const { inputSize, outputSize, shapes } = this.plan;
    if (inputs.length === 0 || inputs.length % inputSize !== 0) {
      throw new DeterministicInputError(`inputs must be whole examples of ${inputSize} values, got ${inputs.length}`, {
        inputSize,
        length: inputs.length,
      });
    }
    for (let i = 0; i < inputs.length; i++) {
      const value = inputs[i] as number;
      if (value > ACTIVATION_LIMIT || value < -ACTIVATION_LIMIT) {
        throw new DeterministicInputError(`input ${i} = ${value} is outside ±${ACTIVATION_LIMIT}`, { index: i, value });
      }
    }
    const count = inputs.length / inputSize;
    const logits = new Int32Array(count * outputSize);
    const { layers } = this.model;
    for (let example = 0; example < count; example++) {
      let src = this.#a;
      let dst = this.#b;
      for (let i = 0; i < inputSize; i++) src[i] = inputs[example * inputSize + i] as number;
      for (let index = 0; index < layers.length; index++) {
        const layer = layers[index] as QuantisedLayer;
        const shape = shapes[index] as number[];
        const size = this.#sizes[index] as number;
        if (layer.op === "flatten") continue;
        if (layer.op === "relu") {
          for (let i = 0; i < size; i++) if ((src[i] as number) < 0) src[i] = 0;
          continue;
        }
        if (layer.op === "dense")
          dense(layer, this.#kernels[index] as Float64Array, size / layer.inputs, src, dst, this.#acc);
        else if (layer.op === "conv2d") conv2d(layer, this.#kernels[index] as Float64Array, shape, src, dst, this.#acc);
        else maxPool2d(layer, shape, src, dst);
        const swap = src;
        src = dst;
        dst = swap;
      }
      for (let j = 0; j < outputSize; j++) logits[example * outputSize + j] = src[j] as number;
    }
    return logits;
  }
}
