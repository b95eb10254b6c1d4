/** Weighted averages of the metrics trainers report, so a round's numbers describe all of its data. */

export interface WeightedMetrics {
  readonly metrics: Readonly<Record<string, number>>;
  readonly weight: number;
}

/** Per metric name, Σ wᵢ·mᵢ / Σ wᵢ over the reports that carry it (reports with weight 0 are ignored). */
export function weightedAverage(reports: readonly WeightedMetrics[]): Record<string, number> {
  const sums = new Map<string, { total: number; weight: number }>();
  for (const { metrics, weight } of reports) {
    if (!(weight > 0)) continue;
    for (const [name, value] of Object.entries(metrics)) {
      const entry = sums.get(name) ?? { total: 0, weight: 0 };
      entry.total += value * weight;
      entry.weight += weight;
      sums.set(name, entry);
    }
  }
  return Object.fromEntries([...sums].map(([name, { total, weight }]) => [name, total / weight]));
}

/**
 * A training round's summary: training loss weighted by training examples; the federated evaluation of the
 * round's input model (`evalLoss`, `evalAccuracy`) weighted by each trainer's held-out examples; the largest
 * cumulative ε any dataset has spent.
 */
export function trainRoundMetrics(
  updates: readonly { metrics: Record<string, number>; numExamples: number; epsilonSpent: number | null }[],
): Record<string, number> {
  const training = weightedAverage(
    updates.map(({ metrics, numExamples }) => ({
      metrics: Object.fromEntries(Object.entries(metrics).filter(([name]) => !name.startsWith("eval"))),
      weight: numExamples,
    })),
  );
  const evaluation = weightedAverage(
    updates.map(({ metrics }) => ({
      metrics: Object.fromEntries(
        Object.entries(metrics).filter(([name]) => name === "evalLoss" || name === "evalAccuracy"),
      ),
      weight: metrics.evalExamples ?? 0,
    })),
  );
  const nonPrivate = updates.filter((update) => update.epsilonSpent === null).length;
  const epsilons = updates.flatMap((update) => (update.epsilonSpent === null ? [] : [update.epsilonSpent]));
  // ε is reported only when every update was differentially private; otherwise the count of those that were not.
  const privacy = nonPrivate > 0 ? { nonPrivateUpdates: nonPrivate } : { epsilonSpent: Math.max(0, ...epsilons) };
  return { ...training, ...evaluation, ...privacy, updates: updates.length };
}
