import { buildModel, getFlatWeights, setFlatWeights } from "@tributary/model-runtime";
import { RdpAccountant } from "@tributary/privacy";
import {
  bytesToWeights,
  DpSpecSchema,
  InvalidInputError,
  inferModelShapes,
  layoutLength,
  MAX_MODEL_PARAMETERS,
  type ModelSpec,
  ModelSpecSchema,
  weightsToBytes,
} from "@tributary/protocol";
import { type DpSgdHyperParams, runAccounting, trainLocal } from "@tributary/trainer-agent";
import { z } from "zod";
import type { C2dAlgorithm, DataShape } from "./c2d-algorithm.js";

const TrainStepParamsSchema = z.strictObject({
  model: ModelSpecSchema,
  /** Where training starts: the spec's Glorot-uniform weights for a seed, or weights (little-endian float32, base64). */
  initialWeights: z.union([
    z.strictObject({
      seed: z
        .number()
        .int()
        .min(0)
        .max(2 ** 31),
    }),
    z.strictObject({ float32Base64: z.string().max(4 * MAX_MODEL_PARAMETERS * 2) }),
  ]),
  localEpochs: z.number().int().positive().max(10),
  batchSize: z.number().int().positive().max(65_536),
  learningRate: z.number().positive().max(10),
  proximalMu: z.number().min(0).max(100).default(0),
  /** DP-SGD, always: a training step never runs without differential privacy here. */
  dp: DpSpecSchema.refine((dp) => dp.mode === "dp-sgd", "must be dp-sgd: a training step never runs without DP"),
});
export type TrainStepParams = z.infer<typeof TrainStepParamsSchema>;

function refuse(path: string, message: string): never {
  throw new InvalidInputError("params", [{ path, message }]);
}

function parameters(model: ModelSpec): number {
  return layoutLength(inferModelShapes(model).layout);
}

function hyperParams(params: TrainStepParams): DpSgdHyperParams {
  const { localEpochs, batchSize, learningRate, proximalMu } = params;
  return { localEpochs, batchSize, learningRate, proximalMu, dp: params.dp as DpSgdHyperParams["dp"] };
}

/** This run's DP-SGD steps composed alone by the RDP accountant, at the owner's δ. */
function runEpsilon(params: TrainStepParams, shape: DataShape, budgetDelta: number): number {
  const { noiseMultiplier, sampleRate, steps } = runAccounting(hyperParams(params), shape.records);
  return new RdpAccountant().step(noiseMultiplier, sampleRate, steps).getEpsilon(budgetDelta).epsilon;
}

/** `tributary-train-step`: local DP-SGD epochs of a model on the owner's records, released as the weight update. */
export const tributaryTrainStep: C2dAlgorithm<TrainStepParams> = {
  name: "tributary-train-step",
  version: "1",
  description:
    "Local training of a model spec (as a Tributary job trains it) from given or seeded weights for `localEpochs` epochs of DP-SGD on every record, released as the weight update (trained − initial).",
  mechanism:
    "DP-SGD (Abadi et al. 2016) exactly as the trainer agent trains a round: the trainer agent's `trainLocal` with its privacy guard's gradient transform, " +
    "microbatch gradients clipped to l2NormClip, summed, lattice Gaussian noise of standard deviation σ·l2NormClip from the OS CSPRNG per step. " +
    "σ is the params' noiseMultiplier or is calibrated so this run reaches targetEpsilon at dp.delta. The run's steps (q = batchSize/N, " +
    "localEpochs·⌈N/batchSize⌉ steps) are charged as subsampled-Gaussian steps to the dataset's privacy ledger, composed by its RDP accountant with " +
    "everything the dataset spent, before any record is read. The update is post-processing of the noisy steps. No loss or accuracy is released " +
    "(they are not private). Output: {update: the update as little-endian float32, base64, parameters, numExamples, steps, noiseMultiplier, sampleRate}.",
  params: TrainStepParamsSchema,
  checkParams(params, shape) {
    let count: number;
    try {
      count = parameters(params.model);
    } catch (error) {
      refuse("params.model", (error as Error).message);
    }
    if (count > MAX_MODEL_PARAMETERS) refuse("params.model", `${count} parameters, more than ${MAX_MODEL_PARAMETERS}`);
    const inputs = params.model.inputShape.reduce((product, dim) => product * dim, 1);
    if (inputs !== shape.featureSize) {
      refuse("params.model.inputShape", `the records have ${shape.featureSize} features, the model takes ${inputs}`);
    }
    const outputs = inferModelShapes(params.model).outputShape.reduce((product, dim) => product * dim, 1);
    if (params.model.loss !== "meanSquaredError" && outputs < shape.numClasses) {
      refuse("params.model", `the records have ${shape.numClasses} classes, the model ${outputs} outputs`);
    }
    if ("float32Base64" in params.initialWeights) {
      const bytes = Buffer.from(params.initialWeights.float32Base64, "base64").length;
      if (bytes !== 4 * count)
        refuse("params.initialWeights", `${bytes} bytes, the model's ${count} float32 take ${4 * count}`);
    }
  },
  output: (params, shape) => {
    const count = parameters(params.model);
    return z.strictObject({
      update: z.string().refine((text) => Buffer.from(text, "base64").length === 4 * count, `must be ${count} float32`),
      parameters: z.literal(count),
      numExamples: z.literal(shape.records),
      steps: z.number().int().positive(),
      noiseMultiplier: z.number().positive(),
      sampleRate: z.number().gt(0).max(1),
    });
  },
  cells: () => 1,
  epsilon: runEpsilon,
  async charge(params, context) {
    const { dataset } = context;
    const privacy = await context.charger.prepareRun({
      label: context.label,
      hyperParams: hyperParams(params),
      datasetSize: dataset.count,
    });
    const charged = privacy.accounting as NonNullable<typeof privacy.accounting>;
    const epsilon = new RdpAccountant()
      .step(charged.noiseMultiplier, charged.sampleRate, charged.steps)
      .getEpsilon(context.budgetDelta).epsilon;
    return {
      charged: { epsilon, delta: context.budgetDelta },
      compute: async () => {
        const initial = params.initialWeights;
        const model = buildModel(params.model, "seed" in initial ? { seed: initial.seed } : {});
        try {
          if ("float32Base64" in initial)
            setFlatWeights(model, bytesToWeights(Buffer.from(initial.float32Base64, "base64")));
          const global = getFlatWeights(model);
          const result = await trainLocal({
            model,
            dataset,
            epochs: params.localEpochs,
            batchSize: params.batchSize,
            learningRate: params.learningRate,
            proximalMu: params.proximalMu,
            globalWeights: global,
            ...privacy.training,
            seed: context.runId,
          });
          const update = new Float32Array(global.length);
          for (let i = 0; i < update.length; i++) update[i] = (result.weights[i] as number) - (global[i] as number);
          return {
            update: Buffer.from(weightsToBytes(update)).toString("base64"),
            parameters: update.length,
            numExamples: result.numExamples,
            steps: result.steps,
            noiseMultiplier: charged.noiseMultiplier,
            sampleRate: charged.sampleRate,
          };
        } finally {
          model.dispose();
        }
      },
    };
  },
};
