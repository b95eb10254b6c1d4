import {
  type Address,
  buildPayoutTree,
  computePayouts,
  type JobLedger,
  PayoutInputError,
  type PayoutLeaf,
  type PayoutPlan,
} from "@tributary/protocol";
import { readPayoutFloors } from "./dataset-prices.js";
import { normalisedPayout } from "./leaf-attribution.js";
import { anchoredRound, type ReportBuilder } from "./ledger-report.js";
import type { OnChainJob, TrainingJobsReader } from "./training-jobs-reader.js";
import type { RoundsAnalysis } from "./verify-rounds.js";

function amounts(leaves: readonly PayoutLeaf[]): Map<Address, bigint> {
  const map = new Map<Address, bigint>();
  for (const leaf of leaves) map.set(leaf.trainer, (map.get(leaf.trainer) ?? 0n) + leaf.amount);
  return map;
}

type Floors = Awaited<ReturnType<typeof readPayoutFloors>>["floors"];

/**
 * Recomputes the payouts from the ledger's scores with `computePayouts`, the chain's escrow and fee rate, and each
 * contributor's floor (its dataset's `pricePerRound` on DatasetRegistry at the pinned block × the rounds it took
 * part in), and compares them with the chain (payout root, total, fee) and with the ledger's payout section. A
 * contributor paid less than its floor (when the escrow covers the floors) is named. When the ledger's payout
 * leaves are the ones the chain's root commits to, they are authentic, and each contributor's scores are checked
 * against its own authentic amount (`normalisedPayout` above its floor), which names the contributor whose leaf
 * changed.
 */
export async function verifyPayouts(
  report: ReportBuilder,
  reader: TrainingJobsReader,
  job: OnChainJob,
  ledger: JobLedger,
  rounds: RoundsAnalysis,
): Promise<void> {
  const finalized = job.status === "Finalized";
  const payout = ledger.payout;
  if (finalized && payout === null) {
    report.add({
      kind: "payout-missing",
      expected: job.payoutRoot,
      message: `job ${ledger.jobId} is finalised on chain (payout root ${job.payoutRoot}) but the ledger has no payouts`,
    });
  }
  if (!finalized && payout?.finalize.status === "confirmed") {
    report.add({
      kind: "payout-not-finalized",
      actual: payout.payoutRoot,
      message: `the ledger says job ${ledger.jobId} was finalised (tx ${payout.finalize.txHash}) but it is ${job.status} on chain`,
    });
  }
  if (!finalized && payout === null) return;

  const { floors, unknown } = await readPayoutFloors(reader, ledger);
  for (const datasetId of unknown) {
    report.add({
      kind: "dataset-unknown",
      actual: datasetId,
      message: `dataset ${datasetId} of the ledger's leaves is not on DatasetRegistry: its pricePerRound floor cannot be read (counted as 0)`,
    });
  }
  const contributions = [...rounds.cumulative].map(([trainer, score]) => ({
    trainer,
    score,
    floor: floors.get(trainer)?.floor ?? 0n,
  }));
  let plan: PayoutPlan | undefined;
  try {
    plan = computePayouts({ escrow: job.escrow, feeBps: job.feeBps, contributions });
  } catch (error) {
    if (!(error instanceof PayoutInputError)) throw error;
    report.add({ kind: "payout-recompute", message: `payouts cannot be recomputed from the ledger: ${error.message}` });
  }
  const recomputedRoot = plan === undefined ? undefined : buildPayoutTree(plan.leaves).root;
  const ledgerLeaves = payout?.leaves.map((leaf) => ({ trainer: leaf.trainer, amount: BigInt(leaf.amount) })) ?? [];
  const ledgerLeavesRoot = ledgerLeaves.length === 0 ? undefined : buildPayoutTree(ledgerLeaves).root;
  const missingRounds = rounds.incomplete ? " (the ledger lacks anchored rounds, see above)" : "";

  if (payout !== null && ledgerLeavesRoot !== undefined) {
    report.compare(
      "ledger-payout-root",
      ledgerLeavesRoot,
      payout.payoutRoot,
      `the ledger's payoutRoot ${payout.payoutRoot} is not the root of its own payout leaves (${ledgerLeavesRoot})`,
    );
    const sum = ledgerLeaves.reduce((total, leaf) => total + leaf.amount, 0n);
    report.compare(
      "payout-total",
      String(sum),
      payout.payoutTotal,
      `the ledger's payoutTotal ${payout.payoutTotal} is not the sum of its payout leaves (${sum})`,
    );
  }

  if (finalized) {
    if (plan !== undefined && recomputedRoot !== undefined) {
      report.compare(
        "payout-root",
        job.payoutRoot,
        recomputedRoot,
        `payout root recomputed from the ledger's scores ${recomputedRoot} ≠ finalised on chain ${job.payoutRoot}${missingRounds}`,
      );
      report.compare(
        "payout-total",
        String(job.payoutTotal),
        String(plan.payoutTotal),
        `payout total recomputed from the ledger's scores ${plan.payoutTotal} ≠ finalised on chain ${job.payoutTotal}`,
      );
    }
    if (payout !== null) {
      if (ledgerLeavesRoot !== job.payoutRoot) {
        report.add({
          kind: "ledger-payout-root",
          expected: job.payoutRoot,
          actual: ledgerLeavesRoot ?? "",
          message: `the ledger's payout leaves have root ${ledgerLeavesRoot} ≠ finalised on chain ${job.payoutRoot}`,
        });
      }
      report.compare(
        "payout-total",
        String(job.payoutTotal),
        payout.payoutTotal,
        `the ledger's payoutTotal ${payout.payoutTotal} ≠ ${job.payoutTotal} on chain`,
      );
      report.compare("fee", String(job.fee), payout.fee, `the ledger's fee ${payout.fee} ≠ ${job.fee} taken on chain`);
      const refund = job.escrow - job.fee - job.payoutTotal;
      report.compare(
        "refund",
        String(refund),
        payout.refund,
        `the ledger's refund ${payout.refund} ≠ escrow − fee − payout total on chain (${refund})`,
      );
      await checkFinalizeTx(report, reader, BigInt(ledger.jobId), payout.finalize.txHash, job);
    }
  } else if (payout !== null && plan !== undefined) {
    report.compare(
      "payout-root",
      recomputedRoot ?? "",
      payout.payoutRoot,
      `the ledger's payoutRoot ${payout.payoutRoot} ≠ recomputed from its scores ${recomputedRoot}`,
    );
    report.compare("fee", String(plan.fee), payout.fee, `the ledger's fee ${payout.fee} ≠ recomputed ${plan.fee}`);
    report.compare(
      "refund",
      String(plan.refund),
      payout.refund,
      `the ledger's refund ${payout.refund} ≠ recomputed ${plan.refund}`,
    );
  }

  if (payout !== null && plan?.floorsCovered === true) checkFloors(report, floors, amounts(ledgerLeaves));

  if (payout !== null) {
    for (const leaf of payout.leaves) {
      const fromRounds = rounds.cumulative.get(leaf.trainer) ?? 0n;
      report.compare(
        "cumulative-score",
        String(fromRounds),
        leaf.cumulativeScore,
        `payout leaf of ${leaf.trainer}: cumulativeScore ${leaf.cumulativeScore} ≠ ${fromRounds}, the sum of its round leaves' scores`,
        { trainer: leaf.trainer },
      );
    }
  }
  comparePerContributor(report, job, rounds, floors, plan, recomputedRoot, ledgerLeaves, ledgerLeavesRoot);
}

/** Every contributor is paid at least its floor when the escrow covers the floors (`computePayouts`' rule). */
function checkFloors(report: ReportBuilder, floors: Floors, paid: ReadonlyMap<Address, bigint>): void {
  for (const [trainer, { floor, datasetId, price, rounds }] of [...floors].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const amount = paid.get(trainer as Address) ?? 0n;
    if (amount >= floor) continue;
    report.add({
      kind: "payout-floor",
      trainer: trainer as Address,
      expected: String(floor),
      actual: String(amount),
      message: `${trainer}: the ledger pays ${amount}, below its floor ${floor}: dataset ${datasetId}'s pricePerRound ${price} on DatasetRegistry × ${rounds} round(s) it took part in`,
    });
  }
}

/**
 * The payout a contributor's scores imply above its floor: the floors are paid first, and the rest of the budget
 * is split by normalised score; when the escrow cannot cover the floors, they are scaled down pro rata.
 */
function impliedPayout(plan: PayoutPlan, floor: bigint, cumulativeScore: bigint, scoredRounds: number): bigint {
  if (!plan.floorsCovered) return plan.floorTotal === 0n ? 0n : (plan.budget * floor) / plan.floorTotal;
  return floor + normalisedPayout(plan.budget - plan.floorTotal, cumulativeScore, scoredRounds);
}

/**
 * Per contributor: which amounts can be trusted decides what is compared. Recomputed plan = chain root: the scores
 * are right, so a differing ledger payout leaf is itself wrong (`payout-leaf`). Ledger leaves = chain root: those
 * amounts are authentic, so a contributor whose scores imply another amount had its leaves altered
 * (`payout-amount`, plus `leaf` for each altered round it has a leaf in). Neither, or not finalised: the ledger's
 * leaves are compared with the recomputation, without a claim about which side is wrong.
 */
function comparePerContributor(
  report: ReportBuilder,
  job: OnChainJob,
  rounds: RoundsAnalysis,
  floors: Floors,
  plan: PayoutPlan | undefined,
  recomputedRoot: string | undefined,
  ledgerLeaves: readonly PayoutLeaf[],
  ledgerLeavesRoot: string | undefined,
): void {
  const finalized = job.status === "Finalized";
  const ledgerAmounts = amounts(ledgerLeaves);
  if (plan !== undefined && (!finalized || recomputedRoot === job.payoutRoot || ledgerLeavesRoot !== job.payoutRoot)) {
    if (ledgerLeaves.length === 0) return;
    const planned = amounts(plan.leaves);
    const trainers = new Set([...planned.keys(), ...ledgerAmounts.keys()]);
    const proven = finalized && recomputedRoot === job.payoutRoot;
    for (const trainer of [...trainers].sort()) {
      report.checked.payouts += 1;
      const expected = planned.get(trainer) ?? 0n;
      const actual = ledgerAmounts.get(trainer) ?? 0n;
      report.compare(
        "payout-leaf",
        String(expected),
        String(actual),
        `payout leaf of ${trainer}: the ledger pays ${actual}, the ledger's scores give ${expected}${proven ? " (as the chain's payout root proves)" : ""}`,
        { trainer },
      );
    }
    return;
  }
  if (!finalized || ledgerLeavesRoot !== job.payoutRoot || rounds.incomplete || plan === undefined) return;
  // The ledger's payout leaves are the chain's: authentic amounts to hold each contributor's scores against.
  const trainers = new Set([...ledgerAmounts.keys(), ...rounds.cumulative.keys()]);
  const implicated: Address[] = [];
  for (const trainer of [...trainers].sort()) {
    report.checked.payouts += 1;
    const paid = ledgerAmounts.get(trainer) ?? 0n;
    const floor = floors.get(trainer)?.floor ?? 0n;
    const implied = impliedPayout(plan, floor, rounds.cumulative.get(trainer) ?? 0n, rounds.scoredRounds);
    if (paid === implied) continue;
    implicated.push(trainer);
    report.add({
      kind: "payout-amount",
      trainer,
      expected: String(paid),
      actual: String(implied),
      message: `${trainer}: the chain's payout root pays ${paid}, but its scores in the ledger imply ${implied}: its leaves were altered`,
    });
  }
  const altered = [...rounds.alteredRounds].sort((a, b) => a - b);
  for (const trainer of implicated) {
    const inAltered = (rounds.roundsOf.get(trainer) ?? []).filter((round) => rounds.alteredRounds.has(round));
    // A contributor without a leaf in any altered round lost its leaf (or its address changed): if a single round
    // was altered, that is where.
    const where = inAltered.length > 0 ? inAltered : altered.length === 1 ? altered : [];
    for (const round of where) {
      const named = report.disagreements.some(
        (d) => d.kind === "leaf" && d.chainRound === round && d.trainer === trainer,
      );
      if (named) continue;
      report.add({
        kind: "leaf",
        chainRound: round,
        trainer,
        message: `${anchoredRound(round)}: leaf of ${trainer}: the round's root recomputed from the ledger ≠ anchored, and ${trainer}'s scores disagree with the payout the chain finalised${inAltered.length > 0 ? "" : " (it has no leaf left in this round)"}`,
      });
    }
  }
}

/** The ledger's finalisation transaction must exist and have emitted `JobFinalized(jobId, payoutRoot, …)`. */
async function checkFinalizeTx(
  report: ReportBuilder,
  reader: TrainingJobsReader,
  jobId: bigint,
  txHash: string | null,
  job: OnChainJob,
): Promise<void> {
  if (txHash === null) return;
  const events = await reader.eventsOf(txHash);
  const finalized = events?.jobFinalized.some((event) => event.jobId === jobId && event.payoutRoot === job.payoutRoot);
  if (finalized === true) return;
  report.add({
    kind: "finalize-tx",
    actual: txHash,
    message:
      events === undefined
        ? `the ledger's finalisation transaction ${txHash} is not on chain`
        : `the ledger's finalisation transaction ${txHash} did not finalise job ${jobId} with root ${job.payoutRoot}`,
  });
}
