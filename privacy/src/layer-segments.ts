import { layoutOffsets, type ModelLayout } from "@tributary/protocol";
import { checkPositive } from "./privacy-parameters.js";

/**
 * Where each tensor of a model lives in the flat parameter vector: tensor `t` is `[bounds[t], bounds[t + 1])`.
 * Computed once per model so that per-layer clipping does no work (or allocation) per example to find layers.
 */
export interface LayerSegments {
  readonly bounds: Int32Array;
  /** Length of the flat vector. */
  readonly length: number;
}

export function layerSegments(layout: ModelLayout): LayerSegments {
  const offsets = layoutOffsets(layout);
  const bounds = new Int32Array(offsets.length + 1);
  offsets.forEach((entry, t) => {
    bounds[t] = entry.offset;
    bounds[t + 1] = entry.offset + entry.size;
  });
  return { bounds, length: bounds[offsets.length] as number };
}

/** Per-layer clip norms C/√L for L layers, whose combined L2 sensitivity is C. */
export function equalPerLayerClipNorms(totalClipNorm: number, layers: number): Float64Array {
  checkPositive(totalClipNorm, "totalClipNorm");
  return new Float64Array(layers).fill(totalClipNorm / Math.sqrt(layers));
}

/** L2 sensitivity of per-layer clipping with norms C_l: √(Σ C_l²). */
export function perLayerSensitivity(clipNorms: ArrayLike<number>): number {
  let sum = 0;
  for (let t = 0; t < clipNorms.length; t++) sum += (clipNorms[t] as number) ** 2;
  return Math.sqrt(sum);
}
