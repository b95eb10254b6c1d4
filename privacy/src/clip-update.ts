import { InvalidPrivacyParameterError } from "./errors.js";
import { l2Norm } from "./l2-norm.js";
import { checkPositive } from "./privacy-parameters.js";

/** Scaling lands 2^-20 inside the bound so that rounding the scaled entries to float32 cannot push it over. */
export const CLIP_MARGIN = 1 - 2 ** -20;

/**
 * Clips a whole model update (e.g. a client's update in DP-FedAvg) to L2 norm at most `clipNorm`, in place; the
 * stored (float32-rounded) result satisfies the bound, so a coordinator checking norms accepts it. Returns the norm
 * before clipping and the factor applied (1 when it was already within the bound).
 */
export function clipUpdate(update: Float32Array | Float64Array, clipNorm: number): { norm: number; scale: number } {
  checkPositive(clipNorm, "clipNorm");
  const norm = l2Norm(update);
  if (!Number.isFinite(norm)) throw new InvalidPrivacyParameterError("update", "non-finite entries", "must be finite");
  if (norm <= clipNorm) return { norm, scale: 1 };
  let scale = (clipNorm / norm) * CLIP_MARGIN;
  for (let i = 0; i < update.length; i++) update[i] = (update[i] as number) * scale;
  // Rounding to float32 moves the norm by at most a relative 2^-24: the margin already covers it, but check.
  for (let after = l2Norm(update); after > clipNorm; after = l2Norm(update)) {
    const again = (clipNorm / after) * CLIP_MARGIN;
    for (let i = 0; i < update.length; i++) update[i] = (update[i] as number) * again;
    scale *= again;
  }
  return { norm, scale };
}
