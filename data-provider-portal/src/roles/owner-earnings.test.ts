import type { JobLedger } from "@tributary/protocol";
import { describe, expect, it } from "vitest";
import { earningsOf, epsilonOverTime } from "./owner-earnings.js";

const OWNER = "0x00000000000000000000000000000000000000aa";
const OTHER = "0x00000000000000000000000000000000000000bb";

function leaf(trainer: string, datasetId: string, epsilonSpent: number | null) {
  return { trainer, datasetId, epsilonSpent } as JobLedger["rounds"][number]["leaves"][number];
}

function ledger(jobId: string, rounds: [number | null, number | null][], payout?: [string, string][]): JobLedger {
  return {
    jobId,
    rounds: rounds.map(([mine, theirs], i) => ({
      round: i + 1,
      leaves: [leaf(OWNER, "7", mine), leaf(OTHER, "8", theirs)],
    })),
    payout:
      payout === undefined
        ? null
        : { leaves: payout.map(([trainer, amount]) => ({ trainer, amount, cumulativeScore: "0" })) },
  } as unknown as JobLedger;
}

describe("a data owner's privacy spending and earnings from the ledgers", () => {
  it("lists dataset 7's cumulative ε after every round it trained in, job after job, skipping non-private rounds", () => {
    const ledgers = [
      ledger("1", [
        [0.5, 9],
        [1.25, 9],
      ]),
      ledger("2", [
        [null, 1],
        [2, 1],
      ]),
    ];
    expect(epsilonOverTime("7", ledgers)).toEqual([
      { label: "1/0", epsilon: 0.5 },
      { label: "1/1", epsilon: 1.25 },
      { label: "2/1", epsilon: 2 },
    ]);
  });

  it("finds the owner's payout in each finalised job, whatever the case of its address", () => {
    const ledgers = [
      ledger(
        "1",
        [[1, 1]],
        [
          [OTHER, "5"],
          [OWNER.toUpperCase().replace("0X", "0x"), "12"],
        ],
      ),
      ledger("2", [[1, 1]]),
      ledger("3", [[1, 1]], [[OTHER, "9"]]),
    ];
    expect(earningsOf(OWNER, ledgers)).toEqual([{ jobId: "1", amount: 12n }]);
  });
});
