import * as tfl from "@tensorflow/tfjs-layers";
import {
  inferModelShapes,
  type LayerSpec,
  type ModelSpec,
  ModelSpecError,
  type ModelSpecInput,
  ModelSpecSchema,
  parseInput,
} from "@tributary/protocol";

const specs = new WeakMap<tfl.LayersModel, ModelSpec>();

function makeLayer(layer: LayerSpec, inputShape: number[] | undefined, seed: number | undefined): tfl.layers.Layer {
  const first = inputShape === undefined ? {} : { inputShape };
  const init = seed === undefined ? {} : { kernelInitializer: tfl.initializers.glorotUniform({ seed }) };
  switch (layer.type) {
    case "dense":
      return tfl.layers.dense({
        ...first,
        ...init,
        units: layer.units,
        activation: layer.activation,
        useBias: layer.useBias,
      });
    case "conv2d":
      return tfl.layers.conv2d({
        ...first,
        ...init,
        filters: layer.filters,
        kernelSize: layer.kernelSize,
        strides: layer.strides,
        padding: layer.padding,
        activation: layer.activation,
        useBias: layer.useBias,
        dataFormat: "channelsLast",
      });
    case "maxPool2d":
      return tfl.layers.maxPooling2d({
        ...first,
        poolSize: layer.poolSize,
        strides: layer.strides ?? layer.poolSize,
        padding: layer.padding,
        dataFormat: "channelsLast",
      });
    case "flatten":
      return tfl.layers.flatten(first);
    case "dropout":
      return tfl.layers.dropout({ ...first, rate: layer.rate });
    case "activation":
      return tfl.layers.activation({ ...first, activation: layer.activation });
  }
}

export interface BuildModelOptions {
  /**
   * Seed for the initial weights (Glorot-uniform kernels, zero biases), so that everyone who builds the spec with
   * the same seed gets the same initial model on the same backend. Without it, tfjs draws unseeded weights.
   */
  readonly seed?: number;
}

/**
 * Builds the job's model as a tfjs-layers sequential model (Glorot-uniform kernels, zero biases); the global
 * weights replace them with `setFlatWeights`. The spec is parsed (defaults applied) and remembered, so training
 * knows the loss. Its trainable weights come in the order of `modelLayout(spec)`.
 */
export function buildModel(spec: ModelSpecInput, options: BuildModelOptions = {}): tfl.Sequential {
  const parsed = parseInput(ModelSpecSchema, spec, "ModelSpec");
  const { layout } = inferModelShapes(parsed);
  const model = tfl.sequential();
  parsed.layers.forEach((layer, index) => {
    const seed = options.seed === undefined ? undefined : options.seed + index;
    model.add(makeLayer(layer, index === 0 ? [...parsed.inputShape] : undefined, seed));
  });
  const shapes = model.trainableWeights.map((weight) => weight.shape.join("x"));
  const expected = layout.map((tensor) => tensor.shape.join("x"));
  if (shapes.join(",") !== expected.join(",")) {
    throw new ModelSpecError("tfjs built different weights than the spec's layout", { shapes, expected });
  }
  specs.set(model, parsed);
  return model;
}

/** The spec a model was built from (only models made by `buildModel` have one). */
export function modelSpecOf(model: tfl.LayersModel): ModelSpec {
  const spec = specs.get(model);
  if (spec === undefined) throw new ModelSpecError("this model was not built by buildModel, so its spec is unknown");
  return spec;
}
