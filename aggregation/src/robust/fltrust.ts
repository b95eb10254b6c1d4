import { firstNonFinite, requireFinite, requireVectors } from "../check-vectors.js";
import { AggregationInputError } from "../errors.js";

/** FLTrust's aggregate of a round, with each update's trust score. */
export interface FlTrustResult {
  /** Σ_i TS_i·ĝ_i / Σ_i TS_i (float32); all zeros when no update points within 90° of the server's. */
  readonly aggregate: Float32Array;
  /** TS_i = max(0, cos(g_i, g₀)) per update, in [0, 1]: 0 for an update pointing away from the server's. */
  readonly trust: Float64Array;
}

/**
 * FLTrust (Cao, Fang, Liu and Gong 2021, "FLTrust: Byzantine-robust Federated Learning via Trust Bootstrapping"):
 * the server trains one update g₀ on a small clean root dataset it holds (e.g. the researcher's validation set), and
 * trusts each client update g_i by its direction relative to g₀:
 *   TS_i = ReLU(cos(g_i, g₀)),   ĝ_i = g_i · ‖g₀‖/‖g_i‖,   g = Σ_i TS_i·ĝ_i / Σ_i TS_i.
 * Rescaling every update to ‖g₀‖ removes a scaling attack's leverage (×100 counts as ×1), and ReLU of the cosine
 * drops an update pointing against the server's (a sign flip gets trust 0). Unlike Krum or coordinate-wise rules it
 * needs no bound on the number of Byzantine updates, but it is only as good as the root data: with label skew, an
 * honest owner whose classes the root set lacks points elsewhere and is down-weighted. An update of norm 0 gets
 * trust 0. Computed in float64; the result is float32.
 */
export function flTrust(vectors: ReadonlyArray<Float32Array>, serverUpdate: Float32Array): FlTrustResult {
  const length = requireVectors("flTrust", vectors);
  requireFinite("flTrust", vectors);
  if (!(serverUpdate instanceof Float32Array) || serverUpdate.length !== length || firstNonFinite(serverUpdate) >= 0) {
    throw new AggregationInputError(`flTrust: the server update must be ${length} finite float32 values`, {
      rule: "flTrust",
      length,
    });
  }
  let serverSquared = 0;
  for (let j = 0; j < length; j++) serverSquared += (serverUpdate[j] as number) ** 2;
  const serverNorm = Math.sqrt(serverSquared);
  if (!(serverNorm > 0)) {
    throw new AggregationInputError("flTrust: the server update is zero: it gives no direction to trust", {
      rule: "flTrust",
    });
  }
  const n = vectors.length;
  const trust = new Float64Array(n);
  const sum = new Float64Array(length);
  let totalTrust = 0;
  for (let i = 0; i < n; i++) {
    const g = vectors[i] as Float32Array;
    let dot = 0;
    let squared = 0;
    for (let j = 0; j < length; j++) {
      const value = g[j] as number;
      dot += value * (serverUpdate[j] as number);
      squared += value * value;
    }
    const norm = Math.sqrt(squared);
    if (!(norm > 0)) continue;
    const score = Math.max(0, dot / (norm * serverNorm));
    trust[i] = score;
    if (score === 0) continue;
    totalTrust += score;
    const weight = (score * serverNorm) / norm;
    for (let j = 0; j < length; j++) sum[j] = (sum[j] as number) + weight * (g[j] as number);
  }
  const aggregate = new Float32Array(length);
  if (totalTrust > 0) for (let j = 0; j < length; j++) aggregate[j] = (sum[j] as number) / totalTrust;
  return { aggregate, trust };
}
