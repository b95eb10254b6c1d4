import {
  type Address,
  buildRoundTree,
  type JobLedger,
  type LedgerRound,
  type RoundLeaf,
  SCORE_SCALE,
} from "@tributary/protocol";
import { sha256OfCid } from "./cid-digest.js";
import { examplesOutliers } from "./leaf-attribution.js";
import type { ReportBuilder } from "./ledger-report.js";
import type { OnChainJob, OnChainRound, TrainingJobsReader } from "./training-jobs-reader.js";

/** What the round checks learnt, for the payout checks that follow. */
export interface RoundsAnalysis {
  /** Rounds whose leaves do not hash to the anchored root (or, not anchored yet, to the ledger's own root). */
  readonly alteredRounds: ReadonlySet<number>;
  /** Anchored rounds are missing from the ledger or listed twice: per-contributor payouts cannot be recomputed. */
  readonly incomplete: boolean;
  /** Σ of each contributor's round-leaf scores (lower-case address). */
  readonly cumulative: ReadonlyMap<Address, bigint>;
  /** The rounds each contributor has a leaf in. */
  readonly roundsOf: ReadonlyMap<Address, readonly number[]>;
  /** Rounds with at least one accepted leaf: by the scoring rule their scores sum to exactly SCORE_SCALE. */
  readonly scoredRounds: number;
}

function toLeaf(leaf: LedgerRound["leaves"][number]): RoundLeaf {
  return {
    trainer: leaf.trainer,
    updateHash: leaf.updateHash,
    numExamples: BigInt(leaf.numExamples),
    score: BigInt(leaf.score),
  };
}

/**
 * Compares every round of the ledger with the chain: each anchored round must be in the ledger once, each ledger
 * round's leaves must hash to the anchored root (and to the ledger's own), model hashes and anchor transactions
 * must match, and the leaves must obey the scoring rules (rejected updates score 0, a round's scores sum to 1e18,
 * `examples` scores follow numExamples, CIDs commit to the hashes they stand next to).
 */
export async function verifyRounds(
  report: ReportBuilder,
  reader: TrainingJobsReader,
  job: OnChainJob,
  ledger: JobLedger,
): Promise<RoundsAnalysis> {
  const jobId = BigInt(ledger.jobId);
  const byRound = new Map<number, LedgerRound>();
  let incomplete = false;
  for (const round of ledger.rounds) {
    if (byRound.has(round.round)) {
      incomplete = true;
      report.add({
        kind: "round-duplicate",
        round: round.round,
        message: `round ${round.round}: listed twice in the ledger`,
      });
    } else {
      byRound.set(round.round, round);
    }
  }
  const anchors = new Map<number, OnChainRound>();
  for (let round = 1; round <= job.roundsAnchored; round++) anchors.set(round, await reader.round(jobId, round));
  for (const [round, anchor] of anchors) {
    if (byRound.has(round)) continue;
    incomplete = true;
    report.add({
      kind: "round-missing",
      round,
      expected: anchor.updatesRoot,
      message: `round ${round}: anchored on chain (updates root ${anchor.updatesRoot}) but missing from the ledger`,
    });
  }

  const alteredRounds = new Set<number>();
  const cumulative = new Map<Address, bigint>();
  const roundsOf = new Map<Address, number[]>();
  let scoredRounds = 0;
  for (const round of [...byRound.values()].sort((a, b) => a.round - b.round)) {
    const leaves = round.leaves.map(toLeaf);
    const root = buildRoundTree(leaves).root;
    report.checked.rounds += 1;
    report.checked.leaves += leaves.length;
    const anchor = anchors.get(round.round);
    const r = round.round;
    if (anchor !== undefined) {
      if (root !== anchor.updatesRoot) {
        alteredRounds.add(r);
        const note =
          round.updatesRoot === anchor.updatesRoot
            ? " (the ledger's own updatesRoot matches the chain: its leaves were changed after anchoring)"
            : ` (the ledger's own updatesRoot is ${round.updatesRoot})`;
        report.add({
          kind: "round-root",
          round: r,
          expected: anchor.updatesRoot,
          actual: root,
          message: `round ${r}: root recomputed from the ledger's leaves ${root} ≠ anchored ${anchor.updatesRoot}${note}`,
        });
      } else if (round.updatesRoot !== root) {
        report.add({
          kind: "ledger-root",
          round: r,
          expected: root,
          actual: round.updatesRoot,
          message: `round ${r}: the ledger's updatesRoot ${round.updatesRoot} is not the root of its leaves (${root}, as anchored)`,
        });
      }
      report.compare(
        "model-hash",
        anchor.modelHash,
        round.modelHash,
        `round ${r}: the ledger's model hash ${round.modelHash} ≠ anchored ${anchor.modelHash}`,
        { round: r },
      );
      await checkAnchorTx(report, reader, jobId, round, anchor);
    } else {
      if (round.updatesRoot !== root) {
        alteredRounds.add(r);
        report.add({
          kind: "ledger-root",
          round: r,
          expected: root,
          actual: round.updatesRoot,
          message: `round ${r}: the ledger's updatesRoot ${round.updatesRoot} is not the root of its leaves (${root})`,
        });
      }
      if (round.anchor.status === "confirmed") {
        report.add({
          kind: "round-not-anchored",
          round: r,
          actual: round.updatesRoot,
          message: `round ${r}: the ledger says its anchor was confirmed (tx ${round.anchor.txHash}) but the chain has ${job.roundsAnchored} round(s) anchored`,
        });
      }
    }
    checkLeaves(report, round);
    if (round.leaves.some((leaf) => !leaf.rejected)) scoredRounds += 1;
    for (const leaf of leaves) {
      cumulative.set(leaf.trainer, (cumulative.get(leaf.trainer) ?? 0n) + leaf.score);
      const rounds = roundsOf.get(leaf.trainer) ?? [];
      if (!rounds.includes(r)) rounds.push(r);
      roundsOf.set(leaf.trainer, rounds);
    }
  }
  return { alteredRounds, incomplete, cumulative, roundsOf, scoredRounds };
}

/** The ledger's anchor transaction must exist and have emitted `RoundAnchored(jobId, round, root, modelHash)`. */
async function checkAnchorTx(
  report: ReportBuilder,
  reader: TrainingJobsReader,
  jobId: bigint,
  round: LedgerRound,
  anchor: OnChainRound,
): Promise<void> {
  const txHash = round.anchor.txHash;
  if (txHash === null) return;
  const events = await reader.eventsOf(txHash);
  const anchored = events?.roundAnchored.some(
    (event) => event.jobId === jobId && event.round === BigInt(round.round) && event.updatesRoot === anchor.updatesRoot,
  );
  if (anchored === true) return;
  report.add({
    kind: "anchor-tx",
    round: round.round,
    actual: txHash,
    message:
      events === undefined
        ? `round ${round.round}: the ledger's anchor transaction ${txHash} is not on chain`
        : `round ${round.round}: the ledger's anchor transaction ${txHash} did not anchor this round of job ${jobId}`,
  });
}

/** The rules a round's leaves obey by construction, each broken rule named by round (and trainer when it can). */
function checkLeaves(report: ReportBuilder, round: LedgerRound): void {
  const r = round.round;
  const seen = new Set<string>();
  let sum = 0n;
  for (const leaf of round.leaves) {
    if (seen.has(leaf.trainer)) {
      report.add({
        kind: "duplicate-trainer",
        round: r,
        trainer: leaf.trainer,
        message: `round ${r}: ${leaf.trainer} has more than one leaf`,
      });
    }
    seen.add(leaf.trainer);
    const score = BigInt(leaf.score);
    sum += score;
    if (leaf.rejected && score !== 0n) {
      report.add({
        kind: "rejected-score",
        round: r,
        trainer: leaf.trainer,
        expected: "0",
        actual: leaf.score,
        message: `round ${r}: leaf of ${leaf.trainer}: rejected update scored ${leaf.score} (rejected updates score 0)`,
      });
    }
    const committed = sha256OfCid(leaf.updateCid);
    if (committed !== leaf.updateHash) {
      report.add({
        kind: "update-cid",
        round: r,
        trainer: leaf.trainer,
        expected: leaf.updateHash,
        actual: committed ?? leaf.updateCid,
        message: `round ${r}: leaf of ${leaf.trainer}: updateCid ${leaf.updateCid} does not name the bytes of updateHash ${leaf.updateHash}`,
      });
    }
  }
  const accepted = round.leaves.some((leaf) => !leaf.rejected);
  const expectedSum = accepted ? SCORE_SCALE : 0n;
  report.compare(
    "score-sum",
    String(expectedSum),
    String(sum),
    `round ${r}: the scores sum to ${sum}, not ${expectedSum} (each round's scores are normalised to 1e18)`,
    { round: r },
  );
  const modelCommitted = sha256OfCid(round.modelCid);
  if (modelCommitted !== round.modelHash) {
    report.add({
      kind: "model-cid",
      round: r,
      expected: round.modelHash,
      actual: modelCommitted ?? round.modelCid,
      message: `round ${r}: modelCid ${round.modelCid} does not name the bytes of modelHash ${round.modelHash}`,
    });
  }
  if (round.scoring.method !== "examples") return;
  const acceptedLeaves = round.leaves.filter((leaf) => !leaf.rejected);
  const outliers = examplesOutliers(
    acceptedLeaves.map((leaf) => ({ numExamples: BigInt(leaf.numExamples), score: BigInt(leaf.score) })),
  );
  for (const index of outliers ?? []) {
    const leaf = acceptedLeaves[index] as LedgerRound["leaves"][number];
    report.add({
      kind: "leaf",
      round: r,
      trainer: leaf.trainer,
      actual: `${leaf.score}/${leaf.numExamples}`,
      message: `round ${r}: leaf of ${leaf.trainer}: score ${leaf.score} for ${leaf.numExamples} examples is not its share of the round's examples, as the other leaves' are (examples scoring)`,
    });
  }
}
