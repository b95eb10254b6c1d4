import { readFile } from "node:fs/promises";
import path from "node:path";
import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";

/**
 * A `file://` loader as tfjs-node's: reads `model.json`, then every weights file its manifest names (relative to
 * it), and hands tfjs the artifacts. For tests, so files a command wrote are read the way any tfjs user reads them
 * (`tf.loadLayersModel(fileModelLoader(path))`).
 */
export function fileModelLoader(modelJsonPath: string): tf.io.IOHandler {
  return {
    load: async () => {
      const modelJson = JSON.parse(await readFile(modelJsonPath, "utf8")) as tf.io.ModelJSON;
      return tf.io.getModelArtifactsForJSON(modelJson, async (manifest) => {
        const specs = manifest.flatMap((group) => group.weights);
        const buffers = await Promise.all(
          manifest.flatMap((group) =>
            group.paths.map((file) => readFile(path.join(path.dirname(modelJsonPath), file))),
          ),
        );
        const bytes = Buffer.concat(buffers);
        return [specs, bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)];
      });
    },
  };
}

/**
 * Opens the tfjs layers model whose `model.json` is at `modelJsonPath` with `tf.loadLayersModel`, as a user of the
 * files would, and returns its predictions for `inputs` (one row of features per example, flattened).
 */
export async function predictWithSavedModel(
  modelJsonPath: string,
  inputs: readonly (readonly number[])[],
  inputShape: readonly number[],
): Promise<number[][]> {
  const model = await tfl.loadLayersModel(fileModelLoader(modelJsonPath));
  try {
    const output = tf.tidy(() => {
      const x = tf.tensor(inputs.flat() as number[], [inputs.length, ...inputShape]);
      return model.predict(x) as tf.Tensor;
    });
    const rows = (await output.array()) as number[][];
    output.dispose();
    return rows;
  } finally {
    model.dispose();
  }
}
