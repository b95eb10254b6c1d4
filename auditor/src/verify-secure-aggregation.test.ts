import type { JobLedger } from "@tributary/protocol";
import { describe, expect, it } from "vitest";
import { ReportBuilder } from "./ledger-report.js";
import { verifySecureAggregation } from "./verify-secure-aggregation.js";

const [a, b, c] = [`0x${"a".repeat(40)}`, `0x${"b".repeat(40)}`, `0x${"c".repeat(40)}`];

/** A ledger of one SecAgg round (only what the check reads): `a` and `b` survived, `c` dropped after sharing. */
function ledger(change: (round: JobLedger["rounds"][number]) => void = () => {}): JobLedger {
  const round = {
    round: 1,
    scoring: {
      method: "examples",
      computedBy: "secure-aggregation",
      evaluations: 0,
      elapsedMs: 0,
      secureAggregation: {
        updates: "masked-inputs",
        survivors: 2,
        dropped: [c],
        clip: 1,
        scale: 1024,
        exampleCap: 300,
      },
    },
    leaves: [
      { trainer: a, rejected: false },
      { trainer: b, rejected: false },
    ],
  } as unknown as JobLedger["rounds"][number];
  change(round);
  return { rounds: [round] } as unknown as JobLedger;
}

function check(input: JobLedger) {
  const report = new ReportBuilder("1", "31337", `0x${"0".repeat(40)}`);
  verifySecureAggregation(report, input);
  return report.finish();
}

describe("verifySecureAggregation", () => {
  it("passes a SecAgg round scored by examples over its survivors, warning that its blobs are masked inputs", () => {
    const report = check(ledger());
    expect(report.disagreements).toEqual([]);
    expect(report.warnings).toEqual([
      expect.objectContaining({
        kind: "secure-aggregation",
        message: expect.stringMatching(/round 0 .*masked inputs/),
      }),
    ]);
  });

  it("names a SecAgg round scored otherwise, one with a leaf more than its survivors, and a scored dropped trainer", () => {
    const shapley = check(
      ledger((round) => Object.assign(round.scoring, { method: "gtg-shapley", computedBy: "gtg-shapley" })),
    );
    expect(shapley.disagreements).toEqual([
      expect.objectContaining({ kind: "secure-aggregation", round: 0, actual: "gtg-shapley/gtg-shapley" }),
    ]);
    const extra = check(ledger((round) => round.leaves.push({ trainer: c, rejected: false } as never)));
    expect(extra.disagreements.map((d) => [d.kind, d.trainer ?? null, d.actual ?? null])).toEqual([
      ["secure-aggregation", null, "3"],
      ["secure-aggregation", c, null],
    ]);
    // A round without SecAgg is not looked at.
    const plain = check(ledger((round) => Object.assign(round.scoring, { secureAggregation: undefined })));
    expect(plain).toMatchObject({ disagreements: [], warnings: [] });
  });
});
