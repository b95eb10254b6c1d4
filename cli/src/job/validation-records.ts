import { encodeValidationSet, type ModelSpec, TributaryError } from "@tributary/protocol";
import type { Dataset } from "@tributary/trainer-agent";

/**
 * A researcher's held-out records as `POST /validation-sets` takes them: the records exactly as the trainer agents
 * feed them to the model (file values times the dataset's `featureScale`, e.g. 8-bit pixels / 255, since the
 * coordinator's evaluator applies no scaling), shaped as the model's input (`[784]` for the MLP, `[28, 28, 1]` for
 * the CNN: the same values, row-major).
 */
export function encodeValidationRecords(records: Dataset, model: ModelSpec): Uint8Array {
  const perRecord = model.inputShape.reduce((product, dim) => product * dim, 1);
  if (records.features.length !== records.count * perRecord) {
    throw new TributaryError(
      "INVALID_INPUT",
      `the held-out records have ${records.features.length / Math.max(1, records.count)} features each, the model takes ${perRecord}`,
    );
  }
  const features = new Float32Array(records.features.length);
  for (let i = 0; i < features.length; i++) features[i] = (records.features[i] as number) * records.featureScale;
  return encodeValidationSet({ featureShape: [...model.inputShape], features, labels: records.labels });
}
