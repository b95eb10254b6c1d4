import type { LedgerReport } from "@tributary/auditor";
import { Empty } from "../ui/status.js";

/** The auditor's verdict: what was checked, every disagreement (round, trainer, what differs) and every warning. */
export function VerificationReport({ report }: { report: LedgerReport }) {
  const { checked } = report;
  return (
    <section aria-labelledby="verdict-heading" className={report.ok ? "verdict ok" : "verdict bad"}>
      <h3 id="verdict-heading">
        {report.ok
          ? "✓ The ledger agrees with the chain"
          : `✗ ${report.disagreements.length} disagreement(s) with the chain`}
      </h3>
      <p>
        Checked against block {report.blockNumber ?? "?"} of chain {report.chainId}: {checked.rounds} round(s),{" "}
        {checked.leaves} leaves, {checked.blobs} blob(s), {checked.signatures} signature(s).
      </p>
      {report.disagreements.length === 0 ? (
        <Empty>No disagreement.</Empty>
      ) : (
        <ul className="disagreements">
          {report.disagreements.map((d, i) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: a report's disagreements are a fixed list
            <li key={i}>
              <strong>{d.kind}</strong>
              {d.round === undefined ? "" : ` · round ${d.round}`}
              {d.trainer === undefined ? "" : ` · trainer ${d.trainer}`}: {d.message}
            </li>
          ))}
        </ul>
      )}
      {report.warnings.length === 0 ? null : (
        <details>
          <summary>{report.warnings.length} warning(s)</summary>
          <ul>
            {report.warnings.map((w, i) => (
              // biome-ignore lint/suspicious/noArrayIndexKey: a report's warnings are a fixed list
              <li key={i}>
                <strong>{w.kind}</strong>: {w.message}
              </li>
            ))}
          </ul>
        </details>
      )}
    </section>
  );
}
