import { type LayerSpec, type ModelLayout, type ModelSpec, ModelSpecSchema, parseInput } from "@tributary/protocol";
import type { z } from "zod";
import { ModelSpecError } from "./errors.js";

/** A model spec as written by a researcher: fields with defaults (activation, padding, strides…) may be omitted. */
export type ModelSpecInput = z.input<typeof ModelSpecSchema>;

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
 * The shape (without the batch dimension) after each layer and the trainable tensors it owns, derived from the
 * spec alone (no tfjs), so the coordinator and the trainer agree on the flat layout without building the model.
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

/**
 * Names and shapes of every trainable tensor of the model, in the order of the flat parameter vector: layer by
 * layer, kernel then bias. Names are `<layer index>.<type>.<kernel|bias>`, e.g. `0.dense.kernel`.
 */
export function modelLayout(spec: ModelSpecInput): ModelLayout {
  return inferModelShapes(parseInput(ModelSpecSchema, spec, "ModelSpec")).layout;
}
