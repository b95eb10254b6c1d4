import {
  type Activation,
  inferModelShapes,
  type LayerSpec,
  layoutOffsets,
  type ModelSpec,
  type ModelSpecInput,
  ModelSpecSchema,
  parseInput,
} from "@tributary/protocol";
import { QuantisationError, UnsupportedLayerError } from "./deterministic-errors.js";
import {
  BIAS_LIMIT,
  DEFAULT_ACTIVATION_FRACTION_BITS,
  MAX_ACTIVATION_FRACTION_BITS,
  MAX_FAN_IN,
  MAX_WEIGHT_FRACTION_BITS,
  roundHalfUp,
  WEIGHT_LIMIT,
} from "./fixed-point-format.js";
import { planModel, windowAxis } from "./model-plan.js";
import type { QuantisedLayer, QuantisedModel, WindowPadding } from "./quantised-model.js";

export interface QuantiseOptions {
  /** F_A, the fractional bits of every activation (default `DEFAULT_ACTIVATION_FRACTION_BITS` = 12, at most 16). */
  readonly activationFractionBits?: number;
}

function maxAbs(values: Float32Array, from: number, to: number): number {
  let max = 0;
  for (let i = from; i < to; i++) {
    const value = Math.abs(values[i] as number);
    if (value > max) max = value;
  }
  return max;
}

/**
 * F_W of one layer: the largest `F ≤ 30` at which the largest weight rounds to at most 2^15 − 1 and the largest bias
 * (at F_A + F bits) to at most 2^51. Rounding is monotone, so every other value fits too. Products with powers of two
 * are exact in float64, so the choice is the same everywhere.
 */
function chooseWeightBits(maxWeight: number, maxBias: number, activationBits: number, index: number): number {
  for (let bits = MAX_WEIGHT_FRACTION_BITS; bits >= 0; bits--) {
    if (
      roundHalfUp(maxWeight * 2 ** bits) <= WEIGHT_LIMIT &&
      roundHalfUp(maxBias * 2 ** (bits + activationBits)) <= BIAS_LIMIT
    ) {
      return bits;
    }
  }
  throw new QuantisationError(`layer ${index} has a weight or bias too large for the fixed-point ranges`, {
    index,
    maxWeight,
    maxBias,
  });
}

/** The shape after a window over `[h, w, c]` (inferModelShapes has already checked that it fits). */
function windowed(
  shape: readonly number[],
  window: readonly [number, number],
  strides: readonly [number, number],
  padding: WindowPadding,
  channels: number,
): number[] {
  const rows = windowAxis(shape[0] as number, window[0], strides[0], padding).output;
  const cols = windowAxis(shape[1] as number, window[1], strides[1], padding).output;
  return [rows, cols, channels];
}

/** Whether an activation is kept (relu), dropped (linear) or ends the model (softmax, replaced by its logits). */
function activationOf(activation: Activation, index: number, type: string): "relu" | "none" | "softmax" {
  if (activation === "relu") return "relu";
  if (activation === "linear") return "none";
  if (activation === "softmax") return "softmax";
  throw new UnsupportedLayerError(
    `layer ${index} (${type}) has activation ${activation}; only relu, linear and a final softmax are supported`,
    {
      index,
      type,
      activation,
    },
  );
}

/**
 * Quantises a model trained by Tributary for deterministic inference: the spec (parsed, defaults applied) and its
 * flat float32 weights in `layoutFromSpec` order (what `getFlatWeights` returns and ModelRegistry hashes). Every
 * weight of a layer gets the layer's F_W (`chooseWeightBits`), every bias F_A + F_W, with round half up. Dense,
 * conv2d, maxPool2d, flatten, dropout (the identity at inference) and relu/linear activations are supported, and
 * softmax as the model's last activation (the logits replace it: argmax is unchanged); sigmoid, tanh and a softmax
 * before the end throw `UnsupportedLayerError`. A wrong weights length, a non-finite weight or one out of range
 * throws `QuantisationError`. The same inputs give the same model, byte for byte, on every machine.
 */
export function quantiseModel(
  specInput: ModelSpec | ModelSpecInput,
  weights: Float32Array,
  options: QuantiseOptions = {},
): QuantisedModel {
  const spec = parseInput(ModelSpecSchema, specInput, "ModelSpec");
  const activationFractionBits = options.activationFractionBits ?? DEFAULT_ACTIVATION_FRACTION_BITS;
  if (
    !Number.isInteger(activationFractionBits) ||
    activationFractionBits < 0 ||
    activationFractionBits > MAX_ACTIVATION_FRACTION_BITS
  ) {
    throw new QuantisationError(`activationFractionBits must be an integer in [0, ${MAX_ACTIVATION_FRACTION_BITS}]`);
  }
  const { layout } = inferModelShapes(spec);
  const offsets = new Map(layoutOffsets(layout).map((entry) => [entry.name, entry]));
  const expected = layout.reduce((total, tensor) => total + tensor.shape.reduce((a, b) => a * b, 1), 0);
  if (weights.length !== expected) {
    throw new QuantisationError(`the spec has ${expected} weights, got ${weights.length}`, {
      expected,
      got: weights.length,
    });
  }
  for (let i = 0; i < weights.length; i++) {
    if (!Number.isFinite(weights[i])) throw new QuantisationError(`weight ${i} is not finite`, { index: i });
  }

  const layers: QuantisedLayer[] = [];
  let ended: number | undefined;
  const quantiseWeights = (index: number, layer: LayerSpec & { useBias: boolean }, fanIn: number, outputs: number) => {
    if (fanIn > MAX_FAN_IN) {
      throw new QuantisationError(
        `layer ${index} sums ${fanIn} products per output, over the ${MAX_FAN_IN} that stay exact`,
        {
          index,
          fanIn,
        },
      );
    }
    const kernel = offsets.get(`${index}.${layer.type}.kernel`);
    const bias = layer.useBias ? offsets.get(`${index}.${layer.type}.bias`) : undefined;
    if (kernel === undefined) throw new QuantisationError(`layer ${index} has no kernel in the layout`);
    const maxBias = bias === undefined ? 0 : maxAbs(weights, bias.offset, bias.offset + bias.size);
    const bits = chooseWeightBits(
      maxAbs(weights, kernel.offset, kernel.offset + kernel.size),
      maxBias,
      activationFractionBits,
      index,
    );
    const q = new Int16Array(kernel.size);
    for (let i = 0; i < kernel.size; i++) q[i] = roundHalfUp((weights[kernel.offset + i] as number) * 2 ** bits);
    const b = new Float64Array(outputs);
    if (bias !== undefined) {
      const scale = 2 ** (bits + activationFractionBits);
      for (let i = 0; i < outputs; i++) b[i] = roundHalfUp((weights[bias.offset + i] as number) * scale);
    }
    return { weightFractionBits: bits, kernel: q, bias: b };
  };
  const refuseAfterEnd = (index: number, type: string) => {
    if (ended !== undefined) {
      throw new UnsupportedLayerError(
        `layer ${index} (${type}) follows the softmax of layer ${ended}; softmax is supported only as the last activation`,
        {
          index,
          type,
          softmax: ended,
        },
      );
    }
  };

  let shape: number[] = [...spec.inputShape];
  spec.layers.forEach((layer, index) => {
    switch (layer.type) {
      case "dense": {
        refuseAfterEnd(index, layer.type);
        const inputs = shape[shape.length - 1] as number;
        const activation = activationOf(layer.activation, index, layer.type);
        layers.push({
          op: "dense",
          inputs,
          units: layer.units,
          relu: activation === "relu",
          ...quantiseWeights(index, layer, inputs, layer.units),
        });
        if (activation === "softmax") ended = index;
        shape = [...shape.slice(0, -1), layer.units];
        break;
      }
      case "conv2d": {
        refuseAfterEnd(index, layer.type);
        const activation = activationOf(layer.activation, index, layer.type);
        layers.push({
          op: "conv2d",
          kernelSize: layer.kernelSize,
          strides: layer.strides,
          padding: layer.padding,
          inChannels: shape[2] as number,
          filters: layer.filters,
          relu: activation === "relu",
          ...quantiseWeights(
            index,
            layer,
            layer.kernelSize[0] * layer.kernelSize[1] * (shape[2] as number),
            layer.filters,
          ),
        });
        if (activation === "softmax") ended = index;
        shape = windowed(shape, layer.kernelSize, layer.strides, layer.padding, layer.filters);
        break;
      }
      case "maxPool2d":
        refuseAfterEnd(index, layer.type);
        layers.push({
          op: "maxPool2d",
          poolSize: layer.poolSize,
          strides: layer.strides ?? layer.poolSize,
          padding: layer.padding,
        });
        shape = windowed(shape, layer.poolSize, layer.strides ?? layer.poolSize, layer.padding, shape[2] as number);
        break;
      case "flatten":
        layers.push({ op: "flatten" });
        shape = [shape.reduce((a, b) => a * b, 1)];
        break;
      case "dropout":
        break;
      case "activation": {
        const activation = activationOf(layer.activation, index, layer.type);
        if (activation === "none") break;
        refuseAfterEnd(index, layer.type);
        if (activation === "relu") layers.push({ op: "relu" });
        else ended = index;
        break;
      }
    }
  });
  const model: QuantisedModel = { activationFractionBits, inputShape: [...spec.inputShape], layers };
  planModel(model);
  return model;
}
