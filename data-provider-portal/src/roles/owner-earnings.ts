import type { JobLedger } from "@tributary/protocol";

/** One point of a dataset's privacy spending: after round `round` of job `jobId`, cumulative ε `epsilon`. */
export interface EpsilonPoint {
  readonly label: string;
  readonly epsilon: number;
}

/**
 * The ε a dataset had spent after each anchored round it trained in, job after job (ledgers in job order): each
 * leaf carries the cumulative ε its trainer signed. Rounds trained without DP give no point.
 */
export function epsilonOverTime(datasetId: string, ledgers: readonly JobLedger[]): EpsilonPoint[] {
  const points: EpsilonPoint[] = [];
  for (const ledger of ledgers) {
    for (const round of ledger.rounds) {
      const leaf = round.leaves.find((one) => one.datasetId === datasetId);
      if (leaf?.epsilonSpent === null || leaf?.epsilonSpent === undefined) continue;
      points.push({ label: `${ledger.jobId}/${round.round - 1}`, epsilon: leaf.epsilonSpent });
    }
  }
  return points;
}

/** What `owner` earns from each finalised job's payout (wei), from the ledger's payout leaves. */
export function earningsOf(owner: string, ledgers: readonly JobLedger[]): { jobId: string; amount: bigint }[] {
  const me = owner.toLowerCase();
  return ledgers.flatMap((ledger) => {
    const leaf = ledger.payout?.leaves.find((one) => one.trainer.toLowerCase() === me);
    return leaf === undefined ? [] : [{ jobId: ledger.jobId, amount: BigInt(leaf.amount) }];
  });
}
