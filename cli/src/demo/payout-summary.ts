import { formatTable } from "../chain/output.js";
import type { JobSettlement } from "./demo-settlement.js";

/** TRIB wei as TRIB, rounded to 6 decimals, trailing zeros dropped. */
export function formatTrib(wei: bigint): string {
  const micro = (wei + 500_000_000_000n) / 1_000_000_000_000n;
  const whole = micro / 1_000_000n;
  const fraction = (micro % 1_000_000n).toString().padStart(6, "0").replace(/0+$/, "");
  return fraction === "" ? whole.toString() : `${whole}.${fraction}`;
}

/** An amount for prose: TRIB to 6 decimals, or wei when it is too small to show in TRIB. */
export function formatAmount(wei: bigint): string {
  const trib = formatTrib(wei);
  return trib === "0" && wei > 0n ? `${wei} wei` : `${trib} TRIB`;
}

/**
 * The `payouts` of the `--json` line: amounts as decimal wei strings (`floor` the owner's price per round × its
 * rounds, paid before the split by score), score the share of cumulative scores.
 */
export function payoutsJson(settlement: JobSettlement) {
  return settlement.payouts.map(({ trainer, datasetId, score, floor, amount }) => ({
    trainer,
    datasetId,
    score,
    floor: String(floor),
    amount: String(amount),
  }));
}

/**
 * The marketplace part of the summary: one row per data owner (its share of the job's cumulative contribution
 * scores, its floor (price per round × rounds), its payout and the claim transaction), where the escrow went, and
 * the ledger verification's verdict with every disagreement.
 */
export function formatSettlement(jobId: string, settlement: JobSettlement): string {
  const rows = [
    [
      "owner",
      "trainer (owner account)",
      "dataset",
      "score share",
      "price × rounds (TRIB)",
      "payout (TRIB)",
      "claim tx",
    ],
    ...settlement.payouts.map((payout) => [
      String(payout.owner),
      payout.trainer,
      payout.datasetId,
      `${(payout.score * 100).toFixed(2)}%`,
      formatTrib(payout.floor),
      formatTrib(payout.amount),
      payout.claimTx ?? "(nothing to claim)",
    ]),
  ];
  const paid = settlement.payouts.reduce((sum, payout) => sum + payout.amount, 0n);
  const floors = settlement.payouts.reduce((sum, payout) => sum + payout.floor, 0n);
  const byScore = floors === 0n ? "" : ` (${formatAmount(floors)} of it their prices per round, the rest by score)`;
  const { ledger } = settlement;
  const lines = [
    `payouts of job ${jobId} on chain ${settlement.chainId} (contributions scored by ${settlement.scoring}, cumulative over the rounds):`,
    ...formatTable(rows).map((line) => `  ${line}`),
    `escrow ${formatAmount(settlement.escrow)} = ${formatAmount(paid)} claimed by the owners${byScore} + ${formatAmount(settlement.fee)} protocol fee + ${formatAmount(settlement.refund)} refunded to the researcher` +
      `${settlement.escrow === paid + settlement.fee + settlement.refund ? "" : " (DOES NOT ADD UP)"}` +
      `${settlement.refundTx === null ? "" : ` (reclaim tx ${settlement.refundTx})`}`,
  ];
  const { checked } = ledger;
  const count = (n: number, noun: string) =>
    n === 1 ? `1 ${noun}` : `${n} ${noun === "leaf" ? "leaves" : `${noun}s`}`;
  const scope = `${count(checked.rounds, "round")}, ${count(checked.leaves, "leaf")}, ${count(checked.blobs, "blob")} hashed (${checked.blobsUnreachable} unreachable), ${count(checked.payouts, "payout")}, against TrainingJobs ${ledger.trainingJobs} at block ${ledger.blockNumber ?? "?"}`;
  if (ledger.ok) {
    lines.push(`ledger verified: OK, every root, hash and payout agrees with the chain (${scope})`);
  } else {
    lines.push(`ledger verified: FAILED, ${count(ledger.disagreements.length, "disagreement")} (${scope}):`);
    for (const disagreement of ledger.disagreements) lines.push(`  [${disagreement.kind}] ${disagreement.message}`);
  }
  for (const warning of ledger.warnings) lines.push(`  warning: [${warning.kind}] ${warning.message}`);
  return `${lines.join("\n")}\n`;
}
