import { readFile } from "node:fs/promises";
import path from "node:path";
import * as tf from "@tensorflow/tfjs-core";

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
