import * as tf from "@tensorflow/tfjs-core";
import type * as tfl from "@tensorflow/tfjs-layers";
import { SeededRandom } from "@tributary/protocol";
import { modelSpecOf } from "./build-model.js";
import { ModelInputError } from "./errors.js";
import { getFlatWeights } from "./flat-weights.js";
import type { LabelledExamples } from "./labelled-examples.js";
import { modelObjective } from "./model-objective.js";

export interface TrainSgdOptions {
  /** SGD steps to take: batches drawn in order from seeded shuffles of the examples, reshuffled at each pass. */
  readonly steps: number;
  readonly batchSize: number;
  readonly learningRate: number;
  /** Seed of the shuffles (`SeededRandom`). */
  readonly seed: string;
}

/**
 * Plain minibatch SGD of `model` (built by `buildModel`, holding the starting weights) on `examples`: `steps`
 * batches of `batchSize` taken in order from seeded shuffles, a new shuffle at each pass over the examples (the
 * last batch of a pass may be smaller), each step
 * w ← w − lr·∇(mean loss of the batch), on tfjs with the objective training and evaluation share
 * (`modelObjective`). It is the trainer agent's step without FedProx or DP, for a server that trains on data of
 * its own (FLTrust's root update). Returns the trained weights, flat in `modelLayout` order.
 */
export async function trainSgd(
  model: tfl.LayersModel,
  examples: LabelledExamples,
  options: TrainSgdOptions,
): Promise<Float32Array> {
  const { steps, batchSize, learningRate } = options;
  if (!Number.isInteger(steps) || steps < 1 || !Number.isInteger(batchSize) || batchSize < 1) {
    throw new ModelInputError(
      `SGD needs a positive whole number of steps and batch size, got ${steps} and ${batchSize}`,
    );
  }
  if (!(learningRate > 0) || !Number.isFinite(learningRate)) {
    throw new ModelInputError(`SGD needs a positive finite learning rate, got ${learningRate}`);
  }
  if (examples.count < 1) throw new ModelInputError("SGD needs at least one example");
  const objective = modelObjective(modelSpecOf(model), examples);
  const variables = model.trainableWeights.map((weight) => weight.read() as tf.Variable);
  const random = new SeededRandom(options.seed);
  const order = Int32Array.from({ length: examples.count }, (_, i) => i);
  let start = examples.count;
  for (let step = 0; step < steps; step++) {
    if (start >= examples.count) {
      random.shuffle(order);
      start = 0;
      // Lets the host's event loop run between passes.
      await new Promise((resolve) => setImmediate(resolve));
    }
    const indices = order.subarray(start, start + batchSize);
    start += batchSize;
    tf.tidy(() => {
      const { x, targets } = objective.batch(indices);
      const { grads } = tf.variableGrads(() => {
        const predictions = model.apply(x, { training: true }) as tf.Tensor;
        return tf.mean(objective.loss(targets, predictions)) as tf.Scalar;
      }, variables);
      for (const variable of variables) {
        const gradient = grads[variable.name];
        if (gradient !== undefined) variable.assign(tf.sub(variable, tf.mul(gradient, learningRate)));
      }
    });
  }
  return getFlatWeights(model);
}
