import type { DatasetId } from "./ids.js";
import type { JobLedger } from "./ledger.js";
import type { ModelMetadata } from "./model-metadata.js";

/**
 * Each dataset's cumulative ε after the job: the highest ε its trainer signed in any leaf of the ledger (null
 * when a leaf says it trained without DP; 0 when it never contributed), one entry per dataset of the spec, in order.
 */
export function epsilonByDataset(ledger: JobLedger, datasetIds: readonly DatasetId[]): ModelMetadata["privacy"] {
  const spent = new Map<string, number | null>();
  for (const round of ledger.rounds) {
    for (const leaf of round.leaves) {
      const previous = spent.get(leaf.datasetId);
      if (previous === null) continue;
      spent.set(leaf.datasetId, leaf.epsilonSpent === null ? null : Math.max(previous ?? 0, leaf.epsilonSpent));
    }
  }
  // `??` would turn a null (no DP) into 0: only a dataset with no leaf at all spent nothing.
  return datasetIds.map((datasetId) => ({
    datasetId,
    epsilon: spent.has(datasetId) ? (spent.get(datasetId) as number | null) : 0,
  }));
}
