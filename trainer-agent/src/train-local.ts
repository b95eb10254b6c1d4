import * as tf from "@tensorflow/tfjs-core";
import type * as tfl from "@tensorflow/tfjs-layers";
import {
  getFlatWeights,
  type KernelTrainer,
  kernelTrainerFor,
  type ModelObjective,
  modelObjective,
  modelSpecOf,
  parameterCount,
} from "@tributary/model-runtime";
import { SeededRandom } from "@tributary/protocol";
import type { Dataset } from "./dataset.js";
import { TrainingConfigError } from "./errors.js";
import type { GradientTransform } from "./gradient-transform.js";

export interface TrainLocalOptions {
  /** A model made by `buildModel` (its spec gives the loss), holding the starting (global) weights. */
  readonly model: tfl.LayersModel;
  readonly dataset: Dataset;
  readonly epochs: number;
  readonly batchSize: number;
  /**
   * Most steps to take over all epochs (default: no cap, `epochs` full passes). Training stops after that many
   * batches, part-way through an epoch if need be: the job spec's `maxLocalSteps`.
   */
  readonly maxSteps?: number | undefined;
  readonly learningRate: number;
  /** FedProx μ ≥ 0 (Li et al. 2020): adds μ/2·‖w − w_global‖² to the local objective. Default 0 (FedAvg). */
  readonly proximalMu?: number;
  /** w_global for the proximal term; defaults to the model's weights when training starts. */
  readonly globalWeights?: Float32Array;
  /** DP hook: see `GradientTransform`. Without it, each step takes the gradient of the batch's mean loss at once. */
  readonly gradientTransform?: GradientTransform;
  /** Records per microbatch when a transform is given (default 1: per-example gradients). */
  readonly microbatchSize?: number;
  /** Seed of the per-epoch shuffles (default: a fixed seed, so runs repeat). */
  readonly seed?: string | number;
  /**
   * Which implementation computes the steps. `auto` (default): model-runtime's WebAssembly training kernels when
   * the tfjs backend is wasm, the spec is one they cover and no gradient transform is given; tfjs otherwise (always
   * on tfjs-node and tfjs-node-gpu). `tfjs`: tfjs, the reference path.
   */
  readonly kernels?: "auto" | "tfjs";
  /** Threads the WebAssembly kernels may compute with, each taking a share of every batch (default 1). */
  readonly threads?: number;
}

export interface TrainLocalResult {
  /** The trained weights, flat in `modelLayout` order. */
  readonly weights: Float32Array;
  /** Distinct local records the update was trained on (FedAvg's weight n_k): fewer than all when `maxSteps` cut in. */
  readonly numExamples: number;
  readonly steps: number;
  /** Mean data loss and accuracy over the last epoch's batches (those run), measured before each step's update. */
  readonly metrics: { readonly loss: number; readonly accuracy: number };
  /** What computed the steps: tfjs, or the WebAssembly kernels on this many threads. */
  readonly engine:
    | { readonly kind: "tfjs"; readonly why?: string }
    | { readonly kind: "wasm-kernels"; readonly threads: number };
}

interface StepContext {
  readonly model: tfl.LayersModel;
  readonly objective: ModelObjective;
  readonly variables: readonly tf.Variable[];
  readonly learningRate: number;
  readonly mu: number;
  readonly globals: readonly tf.Tensor[] | undefined;
}

function checkOptions(options: TrainLocalOptions): void {
  const positiveInt = (name: string, value: number) => {
    if (!Number.isInteger(value) || value < 1) throw new TrainingConfigError(`${name} must be a positive integer`);
  };
  positiveInt("epochs", options.epochs);
  positiveInt("batchSize", options.batchSize);
  if (options.maxSteps !== undefined) positiveInt("maxSteps", options.maxSteps);
  positiveInt("microbatchSize", options.microbatchSize ?? 1);
  positiveInt("threads", options.threads ?? 1);
  if (!(options.learningRate > 0) || !Number.isFinite(options.learningRate)) {
    throw new TrainingConfigError("learningRate must be a positive finite number");
  }
  const mu = options.proximalMu ?? 0;
  if (!(mu >= 0) || !Number.isFinite(mu)) throw new TrainingConfigError("proximalMu must be a finite number ≥ 0");
  if (options.dataset.count < 1) throw new TrainingConfigError("the dataset has no records");
}

/**
 * One forward/backward pass: mean loss over the records, its gradients, and the number of correct predictions
 * (kept out of the enclosing tidy: the caller reads it with `readAndFree`).
 */
function gradientsOf(
  context: StepContext,
  indices: ArrayLike<number>,
): { value: tf.Scalar; grads: tf.NamedTensorMap; correct: tf.Scalar } {
  const { x, targets, labels } = context.objective.batch(indices);
  let correct: tf.Scalar | undefined;
  const { value, grads } = tf.variableGrads(() => {
    const predictions = context.model.apply(x, { training: true }) as tf.Tensor;
    // Kept: everything else created inside the gradient tape is freed when the forward pass ends.
    correct = tf.keep(context.objective.correct(labels, predictions));
    return tf.mean(context.objective.loss(targets, predictions)) as tf.Scalar;
  }, context.variables as tf.Variable[]);
  if (correct === undefined) throw new Error("the forward pass did not run");
  return { value, grads, correct };
}

function readAndFree(scalar: tf.Scalar): number {
  const value = scalar.dataSync()[0] ?? Number.NaN;
  scalar.dispose();
  return value;
}

/** w ← w − lr·(g + μ(w − w_global)) for every variable; `gradient(i)` gives variable i's gradient tensor. */
function applyUpdate(context: StepContext, gradient: (i: number) => tf.Tensor): void {
  context.variables.forEach((variable, i) => {
    let g = gradient(i);
    const global = context.globals?.[i];
    if (context.mu > 0 && global !== undefined) g = tf.add(g, tf.mul(tf.sub(variable, global), context.mu));
    variable.assign(tf.sub(variable, tf.mul(g, context.learningRate)));
  });
}

function batchedStep(context: StepContext, indices: ArrayLike<number>): { loss: number; correct: number } {
  return tf.tidy(() => {
    const { value, grads, correct } = gradientsOf(context, indices);
    applyUpdate(context, (i) => {
      const g = grads[context.variables[i]?.name ?? ""];
      if (g === undefined) throw new TrainingConfigError(`no gradient reaches weight ${i}`);
      return g;
    });
    return { loss: value.dataSync()[0] ?? Number.NaN, correct: readAndFree(correct) };
  });
}

async function microbatchStep(
  context: StepContext,
  indices: Int32Array,
  microbatchSize: number,
  transform: GradientTransform,
  step: number,
): Promise<{ loss: number; correct: number }> {
  const size = context.variables.reduce((n, v) => n + v.size, 0);
  const gradients: Float32Array[] = [];
  const sizes: number[] = [];
  let lossSum = 0;
  let correctSum = 0;
  for (let start = 0; start < indices.length; start += microbatchSize) {
    const members = indices.subarray(start, start + microbatchSize);
    const flat = new Float32Array(size);
    tf.tidy(() => {
      const { value, grads, correct } = gradientsOf(context, members);
      let offset = 0;
      for (const variable of context.variables) {
        const g = grads[variable.name];
        if (g !== undefined) flat.set(g.dataSync() as Float32Array, offset);
        offset += variable.size;
      }
      lossSum += (value.dataSync()[0] ?? Number.NaN) * members.length;
      correctSum += readAndFree(correct);
    });
    gradients.push(flat);
    sizes.push(members.length);
  }
  const gradient = await transform({ gradients, sizes, step });
  if (gradient.length !== size) {
    throw new TrainingConfigError(`the gradient transform returned ${gradient.length} floats, expected ${size}`);
  }
  tf.tidy(() => {
    let offset = 0;
    const slices = context.variables.map((variable) => {
      const slice = tf.tensor(gradient.slice(offset, offset + variable.size), variable.shape, "float32");
      offset += variable.size;
      return slice;
    });
    applyUpdate(context, (i) => slices[i] as tf.Tensor);
  });
  return { loss: lossSum / indices.length, correct: correctSum };
}

/**
 * Local SGD on the owner's data: `epochs` passes over seeded shuffles, batches of `batchSize` (the last one of
 * an epoch may be smaller), at most `maxSteps` batches in all, plain SGD with the FedProx proximal term when `proximalMu > 0`. Returns the new
 * weights, flat. No networking and no privacy here: DP-SGD comes in through `gradientTransform`.
 */
export async function trainLocal(options: TrainLocalOptions): Promise<TrainLocalResult> {
  checkOptions(options);
  const { model, dataset } = options;
  const objective = modelObjective(modelSpecOf(model), dataset);
  const mu = options.proximalMu ?? 0;
  const globalFlat = mu > 0 ? (options.globalWeights ?? getFlatWeights(model)) : undefined;
  if (globalFlat !== undefined && globalFlat.length !== parameterCount(model)) {
    throw new TrainingConfigError(`globalWeights has ${globalFlat.length} floats, the model ${parameterCount(model)}`);
  }
  let why: string | undefined = options.kernels === "tfjs" ? "asked for tfjs" : undefined;
  if (why === undefined && options.gradientTransform !== undefined)
    why = "a gradient transform needs per-example gradients";
  if (why === undefined) {
    const kernels = kernelTrainerFor(model, options.batchSize, { threads: options.threads ?? 1 });
    if ("step" in kernels) return trainWithKernels(options, kernels, globalFlat);
    why = kernels.unsupported;
  }
  const variables = model.trainableWeights.map((weight) => weight.read() as tf.Variable);
  let globals: tf.Tensor[] | undefined;
  if (globalFlat !== undefined) {
    let offset = 0;
    globals = variables.map((variable) => {
      const tensor = tf.tensor(globalFlat.slice(offset, offset + variable.size), variable.shape, "float32");
      offset += variable.size;
      return tensor;
    });
  }
  const context: StepContext = { model, objective, variables, learningRate: options.learningRate, mu, globals };
  try {
    const stats = await runEpochs(options, (indices, step) =>
      options.gradientTransform === undefined
        ? Promise.resolve(batchedStep(context, indices))
        : microbatchStep(context, indices, options.microbatchSize ?? 1, options.gradientTransform, step),
    );
    return { weights: getFlatWeights(model), ...stats, engine: { kind: "tfjs", why } };
  } finally {
    for (const tensor of globals ?? []) tensor.dispose();
  }
}

/** The steps on model-runtime's WebAssembly kernels (same shuffles, batches, loss and update as with tfjs). */
async function trainWithKernels(
  options: TrainLocalOptions,
  trainer: KernelTrainer,
  globalFlat: Float32Array | undefined,
): Promise<TrainLocalResult> {
  const mu = options.proximalMu ?? 0;
  try {
    trainer.start(globalFlat);
    const stats = await runEpochs(options, (indices) =>
      trainer.step(options.dataset, indices, options.learningRate, mu),
    );
    return { weights: trainer.finish(), ...stats, engine: { kind: "wasm-kernels", threads: trainer.threads } };
  } finally {
    await trainer.close();
  }
}

/**
 * `epochs` passes over seeded shuffles in batches, stopping after `maxSteps` batches; the metrics of the last
 * epoch's batches, and the distinct records read (all of them once an epoch completes).
 */
async function runEpochs(
  options: TrainLocalOptions,
  step: (indices: Int32Array, step: number) => Promise<{ loss: number; correct: number }>,
): Promise<Omit<TrainLocalResult, "weights" | "engine">> {
  const { dataset } = options;
  const maxSteps = options.maxSteps ?? Number.POSITIVE_INFINITY;
  const random = new SeededRandom(options.seed ?? "trainLocal");
  const order = Int32Array.from({ length: dataset.count }, (_, i) => i);
  let steps = 0;
  let read = 0;
  let seen = 0;
  let lossSum = 0;
  let correctSum = 0;
  for (let epoch = 0; epoch < options.epochs && steps < maxSteps; epoch++) {
    random.shuffle(order);
    seen = 0;
    lossSum = 0;
    correctSum = 0;
    for (let start = 0; start < dataset.count && steps < maxSteps; start += options.batchSize) {
      const indices = order.subarray(start, start + options.batchSize);
      const stats = await step(indices, steps);
      lossSum += stats.loss * indices.length;
      correctSum += stats.correct;
      seen += indices.length;
      steps++;
    }
    read = Math.max(read, seen);
  }
  return {
    numExamples: read,
    steps,
    metrics: { loss: lossSum / seen, accuracy: correctSum / seen },
  };
}
