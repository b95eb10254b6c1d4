import { describe, expect, it } from "vitest";
import type { DatasetId } from "./ids.js";
import type { JobLedger } from "./ledger.js";
import { epsilonByDataset } from "./metadata-privacy.js";

/** A ledger whose rounds hold only the leaves' dataset and ε (all `epsilonByDataset` reads). */
function ledger(rounds: { datasetId: string; epsilonSpent: number | null }[][]): JobLedger {
  return { rounds: rounds.map((leaves) => ({ leaves })) } as unknown as JobLedger;
}

const ids = (...values: string[]) => values as DatasetId[];

describe("epsilonByDataset", () => {
  it("takes each dataset's highest cumulative ε over the rounds, in the spec's order", () => {
    const rounds = [
      [
        { datasetId: "2", epsilonSpent: 0.5 },
        { datasetId: "1", epsilonSpent: 0.25 },
      ],
      [
        { datasetId: "1", epsilonSpent: 0.75 },
        { datasetId: "2", epsilonSpent: 0.4 },
      ],
    ];
    expect(epsilonByDataset(ledger(rounds), ids("1", "2"))).toEqual([
      { datasetId: "1", epsilon: 0.75 },
      { datasetId: "2", epsilon: 0.5 },
    ]);
  });

  it("says null for a dataset that trained without DP in any round, and 0 for one that never contributed", () => {
    const rounds = [
      [
        { datasetId: "1", epsilonSpent: 0.5 },
        { datasetId: "2", epsilonSpent: null },
      ],
      [{ datasetId: "1", epsilonSpent: null }],
      [{ datasetId: "1", epsilonSpent: 2 }],
    ];
    expect(epsilonByDataset(ledger(rounds), ids("1", "2", "3"))).toEqual([
      { datasetId: "1", epsilon: null },
      { datasetId: "2", epsilon: null },
      { datasetId: "3", epsilon: 0 },
    ]);
  });
});
