import type { ModelLayout } from "./model-layout.js";
import type { LayerSpec, ModelSpec } from "./model-spec.js";

function pooledSize(size: number, window: number, stride: number, padding: "valid" | "same"): number {
  return padding === "same" ? Math.ceil(size / stride) : Math.floor((size - window) / stride) + 1;
}

function nextShape(shape: number[], layer: LayerSpec, index: number): number[] {
  switch (layer.type) {
    case "dense":
      return [...shape.slice(0, -1), layer.units];
    case "conv2d":
    case "maxPool2d": {
      if (shape.length !== 3)
        throw new RangeError(`layer ${index} (${layer.type}) needs a [height, width, channels] input, got [${shape}]`);
      const [height, width, channels] = shape as [number, number, number];
      const [kh, kw] = layer.type === "conv2d" ? layer.kernelSize : layer.poolSize;
      const [sh, sw] = layer.type === "conv2d" ? layer.strides : (layer.strides ?? layer.poolSize);
      const outHeight = pooledSize(height, kh, sh, layer.padding);
      const outWidth = pooledSize(width, kw, sw, layer.padding);
      if (outHeight < 1 || outWidth < 1) {
        throw new RangeError(`layer ${index} (${layer.type}) shrinks [${shape}] to nothing`);
      }
      return [outHeight, outWidth, layer.type === "conv2d" ? layer.filters : channels];
    }
    case "flatten":
      return [shape.reduce((product, dim) => product * dim, 1)];
    case "dropout":
    case "activation":
      return shape;
  }
}

/**
 * The trainable tensors of a model spec, in order, with Keras/tfjs shapes: dense kernel `[in, units]` and bias
 * `[units]`; conv2d kernel `[kh, kw, inChannels, filters]` and bias `[filters]`. Names are `layer<i>/kernel` and
 * `layer<i>/bias`. Throws `RangeError` naming the layer when shapes do not fit.
 */
export function layoutFromSpec(spec: ModelSpec): ModelLayout {
  const layout: ModelLayout = [];
  let shape = [...spec.inputShape];
  spec.layers.forEach((layer, index) => {
    if (layer.type === "dense") {
      const inputs = shape.at(-1) as number;
      layout.push({ name: `layer${index}/kernel`, shape: [inputs, layer.units] });
      if (layer.useBias) layout.push({ name: `layer${index}/bias`, shape: [layer.units] });
    } else if (layer.type === "conv2d") {
      const channels = shape[2];
      if (channels === undefined)
        throw new RangeError(`layer ${index} (conv2d) needs a [height, width, channels] input, got [${shape}]`);
      layout.push({ name: `layer${index}/kernel`, shape: [...layer.kernelSize, channels, layer.filters] });
      if (layer.useBias) layout.push({ name: `layer${index}/bias`, shape: [layer.filters] });
    }
    shape = nextShape(shape, layer, index);
  });
  if (layout.length === 0) throw new RangeError("the model has no trainable layer");
  return layout;
}
