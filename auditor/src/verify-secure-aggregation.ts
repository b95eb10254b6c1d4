import type { JobLedger } from "@tributary/protocol";
import { type ReportBuilder, roundName } from "./ledger-report.js";

/**
 * The rounds that ran SecAgg+ (`scoring.secureAggregation`): they must be scored by committed example counts (the
 * coordinator never saw one update, so nothing else could have been computed), marked so (`computedBy`), and have
 * exactly as many accepted leaves as the protocol's survivors, none of them a trainer the round lists as dropped.
 * Each such round also gets a `secure-aggregation` warning saying what the audit cannot check there: its update
 * blobs are masked inputs (hashed and signed like any update, but not the updates), so the model cannot be
 * recomputed from the ledger.
 */
export function verifySecureAggregation(report: ReportBuilder, ledger: JobLedger): void {
  for (const round of ledger.rounds) {
    const record = round.scoring.secureAggregation;
    if (record === undefined) continue;
    const name = roundName(round.round);
    const where = { chainRound: round.round };
    report.compare(
      "secure-aggregation",
      "examples/secure-aggregation",
      `${round.scoring.method}/${round.scoring.computedBy ?? "none"}`,
      `${name} ran secure aggregation, so it can only be scored by committed example counts, but the ledger says ${round.scoring.method} computed by ${round.scoring.computedBy ?? "nothing"}`,
      where,
    );
    const accepted = round.leaves.filter((leaf) => !leaf.rejected);
    report.compare(
      "secure-aggregation",
      String(record.survivors),
      String(accepted.length),
      `${name}: ${accepted.length} accepted leaves, but ${record.survivors} masked inputs went into its sum`,
      where,
    );
    const dropped = new Set(record.dropped);
    for (const leaf of accepted) {
      if (dropped.has(leaf.trainer)) {
        report.add({
          kind: "secure-aggregation",
          ...where,
          trainer: leaf.trainer,
          message: `${name}: ${leaf.trainer} is scored, but the round lists it as dropped (its input is not in the sum)`,
        });
      }
    }
    report.warn({
      kind: "secure-aggregation",
      message: `${name} ran secure aggregation (SecAgg+): its update blobs are the trainers' masked inputs, scored by their signed example counts; its model is the FedAvg of the unmasked sum, which the ledger does not let an auditor recompute`,
    });
  }
}
