/**
 * The FedAvg delta of a SecAgg+ round from its unmasked sum. Each survivor i masked w_i · clip(Δ_i) quantised at
 * `scale`, with w_i = n_i / exampleCap, so the sum (words mod 2^32, read as signed 32-bit integers) divided by
 * `scale` is Σ w_i · clip(Δ_i) within m / (2 · scale) per coordinate (m survivors); times exampleCap / Σ n_i it is
 * Σ n_i · clip(Δ_i) / Σ n_i, the survivors' FedAvg, within exampleCap · m / (2 · scale · Σ n_i). Float32 out, one
 * pass, no allocation but the result.
 */
export function secAggAverageDelta(
  sum: Uint32Array,
  scale: number,
  exampleCap: number,
  totalExamples: number,
): Float32Array {
  if (!(totalExamples > 0)) throw new RangeError("a SecAgg round's survivors committed no examples");
  const factor = exampleCap / (scale * totalExamples);
  const out = new Float32Array(sum.length);
  for (let i = 0; i < sum.length; i++) out[i] = ((sum[i] as number) | 0) * factor;
  return out;
}
