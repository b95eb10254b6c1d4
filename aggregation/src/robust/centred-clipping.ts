import { firstNonFinite, requireFinite, requireInteger, requireVectors } from "../check-vectors.js";
import { AggregationInputError } from "../errors.js";

/** Tuning of `centredClipping`. */
export interface CentredClippingOptions {
  /**
   * τ, the clipping radius, in the updates' own units (an L2 norm). Absent: chosen afresh at every iteration as the
   * median of the distances ‖x_i − v‖, a radius that holds at least half the updates, so with fewer than half of
   * them Byzantine it is set by honest ones.
   */
  readonly tau?: number | undefined;
  /** L, the number of clipping iterations. Default 3 (the paper's experiments use 1 to 3 with momentum). */
  readonly iterations?: number | undefined;
  /**
   * v₀, where the iterations start: the previous round's aggregate (the paper's momentum/centre). Absent or null:
   * the zero vector (the first round). Not modified.
   */
  readonly centre?: Float32Array | null | undefined;
}

/** Default number of clipping iterations. */
export const CENTRED_CLIPPING_ITERATIONS = 3;

/** The median of `values[0..n)`, sorting a prefix of `scratch` in place. */
function median(values: Float64Array, scratch: Float64Array): number {
  scratch.set(values);
  scratch.sort();
  const n = scratch.length;
  const mid = n >>> 1;
  return n % 2 === 1 ? (scratch[mid] as number) : ((scratch[mid - 1] as number) + (scratch[mid] as number)) / 2;
}

/**
 * Centred clipping (Karimireddy, He and Jaggi 2021, "Learning from History for Byzantine Robust Optimization"):
 * starting from the previous aggregate v₀, iterate L times
 *   v ← v + (1/n) Σ_i clip_τ(x_i − v),   clip_τ(z) = z · min(1, τ/‖z‖₂).
 * Each iteration moves v by at most τ, and the k Byzantine updates move it by at most k·τ/n, however far away they
 * are; honest updates within τ of v count in full, so under non-IID data (honest updates far apart) nothing honest is
 * thrown away, unlike Krum or coordinate-wise rules. Everything is computed in float64; the result is float32. The
 * iterations allocate nothing: the centre, the step and the distances are allocated once.
 */
export function centredClipping(
  vectors: ReadonlyArray<Float32Array>,
  options: CentredClippingOptions = {},
): Float32Array {
  const length = requireVectors("centredClipping", vectors);
  requireFinite("centredClipping", vectors);
  const n = vectors.length;
  const iterations = options.iterations ?? CENTRED_CLIPPING_ITERATIONS;
  requireInteger("centredClipping", "iterations", iterations, 1, 1_000);
  const { tau, centre } = options;
  if (tau !== undefined && (typeof tau !== "number" || !Number.isFinite(tau) || tau <= 0)) {
    throw new AggregationInputError(`centredClipping: tau must be a finite number > 0, got ${tau}`, {
      rule: "centredClipping",
      tau: String(tau),
    });
  }
  if (centre !== undefined && centre !== null) {
    if (!(centre instanceof Float32Array) || centre.length !== length || firstNonFinite(centre) >= 0) {
      throw new AggregationInputError(`centredClipping: the centre must be ${length} finite float32 values`, {
        rule: "centredClipping",
        length,
      });
    }
  }

  const v = new Float64Array(length);
  if (centre !== undefined && centre !== null) for (let j = 0; j < length; j++) v[j] = centre[j] as number;
  const step = new Float64Array(length);
  const distances = new Float64Array(n);
  const scratch = new Float64Array(n);
  for (let iteration = 0; iteration < iterations; iteration++) {
    for (let i = 0; i < n; i++) {
      const x = vectors[i] as Float32Array;
      let squared = 0;
      for (let j = 0; j < length; j++) {
        const z = (x[j] as number) - (v[j] as number);
        squared += z * z;
      }
      distances[i] = Math.sqrt(squared);
    }
    const radius = tau ?? median(distances, scratch);
    step.fill(0);
    for (let i = 0; i < n; i++) {
      const x = vectors[i] as Float32Array;
      const distance = distances[i] as number;
      const scale = distance <= radius ? 1 : radius / distance;
      for (let j = 0; j < length; j++) step[j] = (step[j] as number) + scale * ((x[j] as number) - (v[j] as number));
    }
    for (let j = 0; j < length; j++) v[j] = (v[j] as number) + (step[j] as number) / n;
  }
  return Float32Array.from(v);
}
