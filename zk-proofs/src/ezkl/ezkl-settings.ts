import { z } from "zod";

/** A fixed-point scale: values are integers times 2^-scale. */
const ScaleSchema = z.int().min(-64).max(64);

/**
 * The fields of an EZKL `settings.json` (written by `ezkl gen-settings`/`calibrate-settings`) that this adapter reads;
 * the engine gets the file as it is. Only what the adapter can report honestly is accepted: KZG commitments, public
 * outputs (they are what a proof shows), inputs private or public, parameters private or fixed.
 */
export const EzklSettingsSchema = z.looseObject({
  run_args: z.looseObject({
    logrows: z.int().min(1).max(28),
    commitment: z.literal("KZG", { message: "only KZG commitments are supported (the SRS is a KZG one)" }).optional(),
    input_visibility: z.enum(["Private", "Public"], {
      message: 'must be "Private" or "Public" (hashed or committed inputs are not supported)',
    }),
    output_visibility: z.literal("Public", {
      message: 'must be "Public": the proof\'s public output is what the adapter reports',
    }),
    param_visibility: z.enum(["Private", "Fixed"], {
      message: 'must be "Private" or "Fixed" (public, hashed or committed parameters are not supported)',
    }),
  }),
  model_instance_shapes: z.array(z.array(z.int().min(0))).min(1),
  model_input_scales: z.array(ScaleSchema).min(1),
  model_output_scales: z.array(ScaleSchema).min(1),
});

export type EzklSettings = z.output<typeof EzklSettingsSchema>;

/** The number of values a tensor of `shape` holds. */
export function shapeSize(shape: readonly number[]): number {
  return shape.reduce((size, dimension) => size * dimension, 1);
}

/**
 * Where the model's outputs sit among a proof's public values: `model_instance_shapes` lists the public tensors,
 * the inputs first when they are public, then one per output (with `model_output_scales` in the same order).
 */
export function outputLayout(settings: EzklSettings): { offset: number; sizes: number[]; total: number } {
  const inputs = settings.run_args.input_visibility === "Public" ? settings.model_input_scales.length : 0;
  const shapes = settings.model_instance_shapes;
  const offset = shapes.slice(0, inputs).reduce((sum, shape) => sum + shapeSize(shape), 0);
  const sizes = shapes.slice(inputs).map(shapeSize);
  return { offset, sizes, total: offset + sizes.reduce((sum, size) => sum + size, 0) };
}
