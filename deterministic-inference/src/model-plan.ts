import { QuantisedModelError } from "./deterministic-errors.js";
import {
  BIAS_LIMIT,
  MAX_ACTIVATION_FRACTION_BITS,
  MAX_FAN_IN,
  MAX_WEIGHT_FRACTION_BITS,
  WEIGHT_LIMIT,
} from "./fixed-point-format.js";
import type { QuantisedLayer, QuantisedModel, WindowPadding } from "./quantised-model.js";

/** Where a window (convolution, pooling) starts along one axis, and how many outputs it gives (TensorFlow's rules). */
export interface WindowAxis {
  readonly output: number;
  /** Padding before the first element (`same`: ⌊total / 2⌋, the rest goes after). */
  readonly padBefore: number;
}

/** One axis of a window: `valid` → ⌊(n − k) / s⌋ + 1, `same` → ⌈n / s⌉ with ⌊pad / 2⌋ before. */
export function windowAxis(size: number, window: number, stride: number, padding: WindowPadding): WindowAxis {
  if (padding === "valid") return { output: Math.floor((size - window) / stride) + 1, padBefore: 0 };
  const output = Math.ceil(size / stride);
  const total = Math.max(0, (output - 1) * stride + window - size);
  return { output, padBefore: Math.floor(total / 2) };
}

/** A validated model: the shape entering each layer and leaving the last, and the largest activation. */
export interface ModelPlan {
  /** `shapes[i]` enters layer `i`; `shapes[layers.length]` is the output shape. */
  readonly shapes: readonly (readonly number[])[];
  readonly inputSize: number;
  readonly outputSize: number;
  /** The most values any activation holds (scratch buffer size). */
  readonly maxActivation: number;
  /** The most outputs one position accumulates at once (a dense layer's units, a convolution's filters). */
  readonly maxAccumulators: number;
}

const product = (shape: readonly number[]) => shape.reduce((total, dim) => total * dim, 1);
const isDim = (value: unknown) => Number.isSafeInteger(value) && (value as number) >= 1 && (value as number) <= 2 ** 24;

function fail(index: number, layer: QuantisedLayer, problem: string): never {
  throw new QuantisedModelError(`layer ${index} (${layer.op}): ${problem}`, { index, op: layer.op });
}

/** The weights of a dense or conv2d layer: sizes, F_W, int16 within ±WEIGHT_LIMIT, integer biases within ±2^51. */
function checkWeights(
  index: number,
  layer: QuantisedLayer & { kernel: Int16Array; bias: Float64Array; weightFractionBits: number },
  kernelSize: number,
  outputs: number,
): void {
  const { weightFractionBits: bits, kernel, bias } = layer;
  if (!Number.isInteger(bits) || bits < 0 || bits > MAX_WEIGHT_FRACTION_BITS) {
    fail(index, layer, `weightFractionBits must be an integer in [0, ${MAX_WEIGHT_FRACTION_BITS}], got ${bits}`);
  }
  if (!(kernel instanceof Int16Array) || kernel.length !== kernelSize) {
    fail(index, layer, `the kernel must be an Int16Array of ${kernelSize} values`);
  }
  if (!(bias instanceof Float64Array) || bias.length !== outputs) {
    fail(index, layer, `the bias must be a Float64Array of ${outputs} values`);
  }
  for (let i = 0; i < kernel.length; i++) {
    if ((kernel[i] as number) < -WEIGHT_LIMIT) fail(index, layer, `kernel[${i}] is below −${WEIGHT_LIMIT}`);
  }
  for (let i = 0; i < bias.length; i++) {
    const value = bias[i] as number;
    if (!Number.isInteger(value) || Math.abs(value) > BIAS_LIMIT) {
      fail(index, layer, `bias[${i}] = ${value} is not an integer within ±2^51`);
    }
  }
}

function spatial(index: number, layer: QuantisedLayer, shape: readonly number[]): [number, number, number] {
  if (shape.length !== 3) fail(index, layer, `needs an input of shape [height, width, channels], got [${shape}]`);
  return shape as [number, number, number];
}

function checkWindow(index: number, layer: QuantisedLayer, window: readonly number[], strides: readonly number[]) {
  if (window.length !== 2 || strides.length !== 2 || ![...window, ...strides].every(isDim)) {
    fail(index, layer, "window and strides must be two positive integers each");
  }
}

function outputShape(index: number, layer: QuantisedLayer, shape: readonly number[]): number[] {
  switch (layer.op) {
    case "dense": {
      const inputs = shape[shape.length - 1];
      if (!isDim(layer.units) || layer.inputs !== inputs) {
        fail(index, layer, `takes ${layer.inputs} inputs but its input has shape [${shape}]`);
      }
      if (layer.inputs > MAX_FAN_IN) fail(index, layer, `fan-in ${layer.inputs} is over ${MAX_FAN_IN}`);
      checkWeights(index, layer, layer.inputs * layer.units, layer.units);
      return [...shape.slice(0, -1), layer.units];
    }
    case "conv2d": {
      const [h, w, c] = spatial(index, layer, shape);
      checkWindow(index, layer, layer.kernelSize, layer.strides);
      const [kh, kw] = layer.kernelSize;
      if (layer.inChannels !== c || !isDim(layer.filters)) {
        fail(index, layer, `takes ${layer.inChannels} channels but its input has shape [${shape}]`);
      }
      if (kh * kw * c > MAX_FAN_IN) fail(index, layer, `fan-in ${kh * kw * c} is over ${MAX_FAN_IN}`);
      const rows = windowAxis(h, kh, layer.strides[0], layer.padding).output;
      const cols = windowAxis(w, kw, layer.strides[1], layer.padding).output;
      if (rows < 1 || cols < 1) fail(index, layer, "the kernel is larger than its input");
      checkWeights(index, layer, kh * kw * c * layer.filters, layer.filters);
      return [rows, cols, layer.filters];
    }
    case "maxPool2d": {
      const [h, w, c] = spatial(index, layer, shape);
      checkWindow(index, layer, layer.poolSize, layer.strides);
      const rows = windowAxis(h, layer.poolSize[0], layer.strides[0], layer.padding).output;
      const cols = windowAxis(w, layer.poolSize[1], layer.strides[1], layer.padding).output;
      if (rows < 1 || cols < 1) fail(index, layer, "the pool is larger than its input");
      return [rows, cols, c];
    }
    case "relu":
      return [...shape];
    case "flatten":
      return [product(shape)];
  }
}

/**
 * Checks a quantised model against the format (shapes that fit, fan-ins ≤ 2^14, F_A ≤ 16, F_W ≤ 30, weights and
 * biases in range) and plans its evaluation. Throws `QuantisedModelError` naming the layer.
 */
export function planModel(model: QuantisedModel): ModelPlan {
  const bits = model.activationFractionBits;
  if (!Number.isInteger(bits) || bits < 0 || bits > MAX_ACTIVATION_FRACTION_BITS) {
    throw new QuantisedModelError(`activationFractionBits must be an integer in [0, ${MAX_ACTIVATION_FRACTION_BITS}]`);
  }
  if (model.inputShape.length < 1 || model.inputShape.length > 4 || !model.inputShape.every(isDim)) {
    throw new QuantisedModelError(`the input shape must be 1 to 4 positive integers, got [${model.inputShape}]`);
  }
  if (model.layers.length < 1 || model.layers.length > 255) {
    throw new QuantisedModelError("a model has 1 to 255 layers");
  }
  const shapes: number[][] = [[...model.inputShape]];
  let maxActivation = product(model.inputShape);
  let maxAccumulators = 1;
  model.layers.forEach((layer, index) => {
    const shape = outputShape(index, layer, shapes[index] as number[]);
    if (product(shape) > 2 ** 28) fail(index, layer, `its output of shape [${shape}] is too large`);
    shapes.push(shape);
    maxActivation = Math.max(maxActivation, product(shape));
    if (layer.op === "dense") maxAccumulators = Math.max(maxAccumulators, layer.units);
    if (layer.op === "conv2d") maxAccumulators = Math.max(maxAccumulators, layer.filters);
  });
  return {
    shapes,
    inputSize: product(model.inputShape),
    outputSize: product(shapes[shapes.length - 1] as number[]),
    maxActivation,
    maxAccumulators,
  };
}
