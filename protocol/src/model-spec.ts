import { z } from "zod";

/**
 * The architecture a job trains, as a sequential stack of layers. Trainer agents build it with tfjs; the
 * coordinator derives the parameter layout from the same spec. Shapes exclude the batch dimension.
 */
export const ActivationSchema = z.enum(["linear", "relu", "sigmoid", "tanh", "softmax"]);
export type Activation = z.infer<typeof ActivationSchema>;

const positiveInt = z.number().int().positive();
const pair = z.tuple([positiveInt, positiveInt]);

export const DenseLayerSchema = z.strictObject({
  type: z.literal("dense"),
  units: positiveInt.max(1 << 16),
  activation: ActivationSchema.default("linear"),
  useBias: z.boolean().default(true),
});

export const Conv2dLayerSchema = z.strictObject({
  type: z.literal("conv2d"),
  filters: positiveInt.max(4096),
  kernelSize: pair,
  strides: pair.default([1, 1]),
  padding: z.enum(["valid", "same"]).default("valid"),
  activation: ActivationSchema.default("linear"),
  useBias: z.boolean().default(true),
});

export const MaxPool2dLayerSchema = z.strictObject({
  type: z.literal("maxPool2d"),
  poolSize: pair,
  strides: pair.optional(),
  padding: z.enum(["valid", "same"]).default("valid"),
});

export const FlattenLayerSchema = z.strictObject({ type: z.literal("flatten") });

export const DropoutLayerSchema = z.strictObject({
  type: z.literal("dropout"),
  rate: z.number().min(0).lt(1),
});

export const ActivationLayerSchema = z.strictObject({
  type: z.literal("activation"),
  activation: ActivationSchema,
});

export const LayerSpecSchema = z.discriminatedUnion("type", [
  DenseLayerSchema,
  Conv2dLayerSchema,
  MaxPool2dLayerSchema,
  FlattenLayerSchema,
  DropoutLayerSchema,
  ActivationLayerSchema,
]);
export type LayerSpec = z.infer<typeof LayerSpecSchema>;

export const ModelSpecSchema = z.strictObject({
  /** Shape of one input example, e.g. `[784]` or `[28, 28, 1]` (height, width, channels). */
  inputShape: z.array(positiveInt).min(1).max(4),
  layers: z.array(LayerSpecSchema).min(1).max(64),
  loss: z.enum(["categoricalCrossentropy", "sparseCategoricalCrossentropy", "meanSquaredError"]),
  /** Number of output classes for classification losses. */
  numClasses: positiveInt.max(1 << 16).optional(),
});
export type ModelSpec = z.infer<typeof ModelSpecSchema>;
/** A model spec as written by a researcher: fields with defaults (activation, padding, strides…) may be omitted. */
export type ModelSpecInput = z.input<typeof ModelSpecSchema>;
