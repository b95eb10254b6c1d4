import * as tf from "@tensorflow/tfjs-core";
import type { ModelSpecInput } from "@tributary/protocol";
import { buildModel } from "./build-model.js";
import { setFlatWeights } from "./flat-weights.js";

/** The file the weights go to, named in `model.json`'s weights manifest (relative to `model.json`). */
export const LAYERS_MODEL_WEIGHTS_FILE = "weights.bin";

/** A tfjs layers model as files: `model.json` (topology + weights manifest) and the weights it names. */
export interface LayersModelFiles {
  /** The text of `model.json`, in the format `tf.loadLayersModel` reads (`format: "layers-model"`). */
  readonly modelJson: string;
  /** The bytes of `weights.bin`: every weight in the manifest's order, little-endian float32. */
  readonly weights: Uint8Array;
}

/** One ArrayBuffer from tfjs' weight data, which may come in pieces. */
function joined(data: tf.io.WeightData): Uint8Array {
  return new Uint8Array(tf.io.CompositeArrayBuffer.join(data));
}

/**
 * The job's model with its flat weights (the coordinator's `modelLayout` order) as a tfjs layers model in files,
 * what tfjs-node's `model.save("file://dir")` would write, without needing tfjs-node: the model is built from its
 * spec, given the weights, and saved through a custom save handler. `generatedBy` names the writer. Throws
 * `WeightsLengthError` when the weights do not fit the spec.
 */
export async function layersModelFiles(
  spec: ModelSpecInput,
  flat: Float32Array,
  generatedBy = "tributary",
): Promise<LayersModelFiles> {
  const model = buildModel(spec);
  try {
    setFlatWeights(model, flat);
    let artifacts: tf.io.ModelArtifacts | undefined;
    await model.save(
      tf.io.withSaveHandler(async (saved) => {
        artifacts = saved;
        return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(saved) };
      }),
    );
    if (artifacts?.weightData === undefined || artifacts.weightSpecs === undefined) {
      throw new Error("tfjs saved the model without its weights");
    }
    const modelJson = {
      format: "layers-model",
      generatedBy,
      convertedBy: null,
      modelTopology: artifacts.modelTopology,
      weightsManifest: [{ paths: [`./${LAYERS_MODEL_WEIGHTS_FILE}`], weights: artifacts.weightSpecs }],
    };
    return { modelJson: JSON.stringify(modelJson), weights: joined(artifacts.weightData) };
  } finally {
    model.dispose();
  }
}
