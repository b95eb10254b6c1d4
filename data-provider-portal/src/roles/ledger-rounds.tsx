import type { JobLedger } from "@tributary/protocol";
import { Empty } from "../ui/status.js";

const SCORE_SCALE = 10n ** 18n;

/** A leaf's share of its round, in percent (scores are fixed-point with 1e18 = the whole round). */
export function scorePercent(score: string): string {
  return `${(Number((BigInt(score) * 10_000n) / SCORE_SCALE) / 100).toFixed(2)} %`;
}

/** The ledger's anchored rounds, each with its anchor transaction and (opened) its leaves. */
export function LedgerRounds({ ledger }: { ledger: JobLedger }) {
  if (ledger.rounds.length === 0) return <Empty>No round of this job is anchored yet.</Empty>;
  return (
    <section aria-labelledby="rounds-heading">
      <h3 id="rounds-heading">Anchored rounds</h3>
      {ledger.rounds.map((round) => (
        <details key={round.round} className="round">
          <summary>
            Round {round.round - 1} (chain round {round.round}) · {round.leaves.length} leaves · anchor{" "}
            {round.anchor.status}
            {round.anchor.txHash === null ? "" : ` in ${round.anchor.txHash.slice(0, 12)}…`}
          </summary>
          <p className="mono">
            updates root {round.updatesRoot}
            <br />
            model hash {round.modelHash}
            {round.anchor.txHash === null ? null : (
              <>
                <br />
                anchor transaction {round.anchor.txHash}
              </>
            )}
          </p>
          <table>
            <thead>
              <tr>
                <th scope="col">Trainer</th>
                <th scope="col">Dataset</th>
                <th scope="col">Examples</th>
                <th scope="col">Score</th>
                <th scope="col">ε after round</th>
                <th scope="col">Signed</th>
              </tr>
            </thead>
            <tbody>
              {round.leaves.map((leaf) => (
                <tr key={leaf.trainer}>
                  <td className="mono">{leaf.trainer}</td>
                  <td>{leaf.datasetId}</td>
                  <td>{leaf.numExamples}</td>
                  <td>{leaf.rejected ? "rejected" : scorePercent(leaf.score)}</td>
                  <td>{leaf.epsilonSpent === null ? "no DP" : leaf.epsilonSpent.toFixed(3)}</td>
                  <td>{leaf.signature === undefined ? "no" : "yes"}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </details>
      ))}
    </section>
  );
}
