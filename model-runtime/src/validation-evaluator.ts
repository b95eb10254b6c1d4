import * as tf from "@tensorflow/tfjs-core";
import type * as tfl from "@tensorflow/tfjs-layers";
import { type ModelSpecInput, parseInput, type ValidationSet } from "@tributary/protocol";
import { z } from "zod";
import { buildModel, modelSpecOf } from "./build-model.js";
import { EvaluatorDisposedError, ModelInputError, WeightsLengthError } from "./errors.js";
import { batchScores } from "./evaluate.js";
import { parameterCount, setFlatWeights } from "./flat-weights.js";
import { featureSize } from "./labelled-examples.js";
import { ensureModelBackend } from "./model-backend.js";
import { type ModelObjective, modelObjective } from "./model-objective.js";

/** One batch of the set as tensors, made once and kept for every evaluation. */
type Batch = ReturnType<ModelObjective["batch"]>;

/** A model's score on the validation set. */
export interface ValidationScore {
  /** Mean per-example loss: the spec's loss (sparse categorical cross-entropy for classifiers), dropout off. */
  readonly loss: number;
  /** Fraction of examples whose most probable class is the label. */
  readonly accuracy: number;
  readonly examples: number;
}

export interface ValidationEvaluator {
  /** Floats in a weight vector `evaluate` takes: the model's parameter count. */
  readonly parameters: number;
  /**
   * Scores one flat weight vector (in `modelLayout` order). Calls run one after another in the order made, as
   * they share one model. Rejects with `WeightsLengthError` on a wrong length, and with `EvaluatorDisposedError`
   * when called after `dispose`. Non-finite weights give a NaN loss.
   */
  evaluate(weights: Float32Array): Promise<ValidationScore>;
  /** Frees the model and the set's tensors once the evaluations already asked for have finished. */
  dispose(): void;
}

const OptionsSchema = z.strictObject({
  /** Examples per forward pass (default 256): bounds the activations held at once. */
  batchSize: z.number().int().positive().max(65_536).default(256),
});
export type ValidationEvaluatorOptions = z.input<typeof OptionsSchema>;

/**
 * Prepares to score many weight vectors of one model on one held-out set, as GTG-Shapley does dozens of times a
 * round: the model is built once, and the set's input and target tensors are made once and kept, so each
 * `evaluate` only writes the weights and runs the forward passes. The loss and accuracy are those of the
 * trainer's `evaluate` (same objective, same per-batch sums). Uses the process's tfjs backend, choosing the best
 * one first if nobody did (`ensureModelBackend`).
 *
 * Throws `ModelInputError` when the set's features per example differ from the model's input (shapes with the
 * same number of values are accepted, as in training: features are reshaped row-major), when a label is negative
 * or names a class the model has no output for, or when the set's arrays disagree with its count.
 */
export async function createValidationEvaluator(
  spec: ModelSpecInput,
  set: ValidationSet,
  options: ValidationEvaluatorOptions = {},
): Promise<ValidationEvaluator> {
  const { batchSize } = parseInput(OptionsSchema, options, "ValidationEvaluatorOptions");
  const size = featureSize(set);
  if (set.count < 1 || set.labels.length !== set.count || set.features.length !== set.count * size) {
    throw new ModelInputError(
      `a validation set of ${set.count} examples of shape [${set.featureShape}] needs ${set.count} labels and ` +
        `${set.count * size} features, got ${set.labels.length} and ${set.features.length}`,
      { count: set.count, labels: set.labels.length, features: set.features.length },
    );
  }
  let maxLabel = 0;
  for (let i = 0; i < set.count; i++) {
    const label = set.labels[i] as number;
    if (label < 0) throw new ModelInputError(`label ${label} of example ${i} is negative`, { example: i, label });
    if (label > maxLabel) maxLabel = label;
  }

  await ensureModelBackend();
  const model = buildModel(spec);
  const parameters = parameterCount(model);
  const batches: Batch[] = [];
  try {
    // The set's values enter the model as they are (no scaling); its classes are those its labels name.
    const examples = { ...set, numClasses: maxLabel + 1, featureScale: 1 };
    const objective = modelObjective(modelSpecOf(model), examples);
    for (let start = 0; start < set.count; start += batchSize) {
      const end = Math.min(set.count, start + batchSize);
      const indices = Int32Array.from({ length: end - start }, (_, i) => start + i);
      // tidy keeps the three returned tensors and frees the intermediates (the one-hot before its cast).
      batches.push(tf.tidy(() => objective.batch(indices)));
    }

    let queue: Promise<unknown> = Promise.resolve();
    let disposed = false;
    const score = async (weights: Float32Array): Promise<ValidationScore> => {
      if (weights.length !== parameters) throw new WeightsLengthError(parameters, weights.length);
      setFlatWeights(model, weights);
      let lossSum = 0;
      let correctSum = 0;
      for (const batch of batches) {
        const scores = tf.tidy(() => batchScores(model, objective, batch));
        // An asynchronous read lets the host's event loop run between batches.
        const [loss, correct] = await scores.data();
        scores.dispose();
        lossSum += loss ?? Number.NaN;
        correctSum += correct ?? 0;
      }
      return { loss: lossSum / set.count, accuracy: correctSum / set.count, examples: set.count };
    };

    return {
      parameters,
      evaluate(weights) {
        if (disposed) return Promise.reject(new EvaluatorDisposedError());
        const result = queue.then(() => score(weights));
        queue = result.catch(() => undefined);
        return result;
      },
      dispose() {
        if (disposed) return;
        disposed = true;
        // Nobody awaits the release: a failure there must not become an unhandled rejection in the host.
        queue = queue.then(() => release(model, batches)).catch(() => undefined);
      },
    };
  } catch (error) {
    release(model, batches);
    throw error;
  }
}

function release(model: tfl.LayersModel, batches: readonly Batch[]): void {
  for (const batch of batches) tf.dispose(Object.values(batch));
  model.dispose();
}
