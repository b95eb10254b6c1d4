/** Padding of a window (conv2d, max-pooling), with TensorFlow's rules: `same` pads zeros (max-pooling: nothing). */
export type WindowPadding = "valid" | "same";

/**
 * A dense layer over the last axis: `inputs` → `units` at each leading position (one position after a flatten or
 * for a vector input). `kernel` is `[inputs, units]` row-major, `bias` has `units` integers at F_A + F_W
 * fractional bits (|q| ≤ 2^51, exact in float64).
 */
export interface QuantisedDense {
  readonly op: "dense";
  readonly inputs: number;
  readonly units: number;
  readonly relu: boolean;
  /** F_W: the kernel's fractional bits; the accumulator is shifted right by it. */
  readonly weightFractionBits: number;
  readonly kernel: Int16Array;
  readonly bias: Float64Array;
}

/** A 2-D convolution over `[height, width, channels]` (channels last); `kernel` is `[kh, kw, inChannels, filters]`. */
export interface QuantisedConv2d {
  readonly op: "conv2d";
  readonly kernelSize: readonly [number, number];
  readonly strides: readonly [number, number];
  readonly padding: WindowPadding;
  readonly inChannels: number;
  readonly filters: number;
  readonly relu: boolean;
  readonly weightFractionBits: number;
  readonly kernel: Int16Array;
  readonly bias: Float64Array;
}

export interface QuantisedMaxPool2d {
  readonly op: "maxPool2d";
  readonly poolSize: readonly [number, number];
  readonly strides: readonly [number, number];
  readonly padding: WindowPadding;
}

/** A stand-alone ReLU (an `activation` layer). */
export interface QuantisedRelu {
  readonly op: "relu";
}

/** `[h, w, c]` → `[h · w · c]`: the data is already row-major, only the shape changes. */
export interface QuantisedFlatten {
  readonly op: "flatten";
}

export type QuantisedLayer = QuantisedDense | QuantisedConv2d | QuantisedMaxPool2d | QuantisedRelu | QuantisedFlatten;

/**
 * A model as the fixed-point path evaluates it: every number an integer, every scale a power of two (see
 * `fixed-point-format.ts`). Built from float weights by `quantiseModel`, or decoded from its canonical bytes.
 */
export interface QuantisedModel {
  /** F_A: fractional bits of the inputs, every activation and the output logits. */
  readonly activationFractionBits: number;
  /** One example's shape, e.g. `[784]` or `[28, 28, 1]`. */
  readonly inputShape: readonly number[];
  readonly layers: readonly QuantisedLayer[];
}
