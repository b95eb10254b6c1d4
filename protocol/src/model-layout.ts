import { z } from "zod";

/**
 * A model's parameters travel as one flat little-endian `Float32Array`; the layout names the tensors in it, in
 * order. Tensor `i` occupies the `product(shape)` floats that follow tensor `i - 1`.
 */
export const TensorSpecSchema = z.object({
  name: z.string().min(1).max(256),
  shape: z.array(z.number().int().positive()).max(8),
});
export type TensorSpec = z.infer<typeof TensorSpecSchema>;

export const ModelLayoutSchema = z
  .array(TensorSpecSchema)
  .min(1)
  .superRefine((tensors, ctx) => {
    const seen = new Set<string>();
    tensors.forEach((tensor, index) => {
      if (seen.has(tensor.name)) {
        ctx.addIssue({ code: "custom", message: `duplicate tensor name "${tensor.name}"`, path: [index, "name"] });
      }
      seen.add(tensor.name);
    });
  });
export type ModelLayout = z.infer<typeof ModelLayoutSchema>;

/** Number of scalars in one tensor (a scalar tensor with shape `[]` holds one). */
export function tensorSize(shape: readonly number[]): number {
  return shape.reduce((product, dim) => product * dim, 1);
}

/** Total number of floats in a model with this layout. */
export function layoutLength(layout: ModelLayout): number {
  return layout.reduce((total, tensor) => total + tensorSize(tensor.shape), 0);
}

/** Start offset (in floats) and size of each tensor in the flat vector. */
export function layoutOffsets(layout: ModelLayout): { name: string; offset: number; size: number }[] {
  let offset = 0;
  return layout.map((tensor) => {
    const size = tensorSize(tensor.shape);
    const entry = { name: tensor.name, offset, size };
    offset += size;
    return entry;
  });
}
