/** Small statistics shared by the inference benchmark's parts. */

export function perSecond(count: number, ms: number): number {
  return Math.round(count / (ms / 1000));
}

/** The `q`-quantile (0…1) of `values` by the nearest-rank method, rounded to 0.01 ms. */
export function quantile(values: ArrayLike<number>, q: number): number {
  const sorted = Float64Array.from(values).sort();
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return Math.round((sorted[rank] as number) * 100) / 100;
}

/** CPU time of the calling thread since `since` (from `process.threadCpuUsage()`), in milliseconds. */
export function threadCpuMs(since: NodeJS.CpuUsage): number {
  const used = process.threadCpuUsage(since);
  return (used.user + used.system) / 1000;
}
