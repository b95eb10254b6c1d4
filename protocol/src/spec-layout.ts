import { TributaryError } from "./errors.js";
import type { ModelLayout } from "./model-layout.js";
import type { LayerSpec, ModelSpec } from "./model-spec.js";

/** A model spec is valid by schema but cannot be built (shapes do not fit, a layer needs a rank it lacks). */
export class ModelSpecError extends TributaryError {
  constructor(problem: string, details: Readonly<Record<string, unknown>> = {}) {
    super("MODEL_SPEC", `model spec cannot be built: ${problem}`, { details });
  }
}

/** Output size of a convolution or pooling window along one axis (Keras/TensorFlow rules). */
function windowOutput(size: number, window: number, stride: number, padding: "valid" | "same"): number {
  return padding === "same" ? Math.ceil(size / stride) : Math.floor((size - window) / stride) + 1;
}

function spatial(shape: readonly number[], index: number, layer: LayerSpec): [number, number, number] {
  if (shape.length !== 3) {
    throw new ModelSpecError(`layer ${index} (${layer.type}) needs an input of shape [height, width, channels]`, {
      index,
      inputShape: shape,
    });
  }
  return shape as [number, number, number];
}

/**
 * The shape (without the batch dimension) after the last layer and the trainable tensors, derived from the spec
 * alone, so the coordinator and every trainer agree on the flat parameter layout without building the model:
 * layer by layer, kernel then bias, with Keras/tfjs shapes (dense `[in, units]`, conv2d
 * `[kh, kw, inChannels, filters]`). Names are `<layer index>.<type>.<kernel|bias>`, e.g. `0.dense.kernel`.
 * Throws `ModelSpecError` naming the layer when shapes do not fit.
 */
export function inferModelShapes(spec: ModelSpec): { outputShape: number[]; layout: ModelLayout } {
  let shape: number[] = [...spec.inputShape];
  const layout: ModelLayout = [];
  spec.layers.forEach((layer, index) => {
    const prefix = `${index}.${layer.type}`;
    switch (layer.type) {
      case "dense": {
        const inputs = shape[shape.length - 1] ?? 0;
        layout.push({ name: `${prefix}.kernel`, shape: [inputs, layer.units] });
        if (layer.useBias) layout.push({ name: `${prefix}.bias`, shape: [layer.units] });
        shape = [...shape.slice(0, -1), layer.units];
        break;
      }
      case "conv2d": {
        const [h, w, c] = spatial(shape, index, layer);
        const [kh, kw] = layer.kernelSize;
        const [sh, sw] = layer.strides;
        const oh = windowOutput(h, kh, sh, layer.padding);
        const ow = windowOutput(w, kw, sw, layer.padding);
        if (oh < 1 || ow < 1) throw new ModelSpecError(`layer ${index} (conv2d) kernel is larger than its input`);
        layout.push({ name: `${prefix}.kernel`, shape: [kh, kw, c, layer.filters] });
        if (layer.useBias) layout.push({ name: `${prefix}.bias`, shape: [layer.filters] });
        shape = [oh, ow, layer.filters];
        break;
      }
      case "maxPool2d": {
        const [h, w, c] = spatial(shape, index, layer);
        const [ph, pw] = layer.poolSize;
        const [sh, sw] = layer.strides ?? layer.poolSize;
        const oh = windowOutput(h, ph, sh, layer.padding);
        const ow = windowOutput(w, pw, sw, layer.padding);
        if (oh < 1 || ow < 1) throw new ModelSpecError(`layer ${index} (maxPool2d) pool is larger than its input`);
        shape = [oh, ow, c];
        break;
      }
      case "flatten":
        shape = [shape.reduce((product, dim) => product * dim, 1)];
        break;
      case "dropout":
      case "activation":
        break;
    }
  });
  if (layout.length === 0) throw new ModelSpecError("the model has no trainable layer");
  const outputs = shape[shape.length - 1] ?? 0;
  if (spec.loss !== "meanSquaredError") {
    if (shape.length !== 1) throw new ModelSpecError(`a classifier must end in a vector, not shape [${shape}]`);
    if (spec.numClasses !== undefined && spec.numClasses !== outputs) {
      throw new ModelSpecError(`the last layer has ${outputs} outputs but the spec says ${spec.numClasses} classes`, {
        outputs,
        numClasses: spec.numClasses,
      });
    }
  }
  return { outputShape: shape, layout };
}

/** The flat parameter layout of a model spec (see `inferModelShapes`). */
export function layoutFromSpec(spec: ModelSpec): ModelLayout {
  return inferModelShapes(spec).layout;
}
