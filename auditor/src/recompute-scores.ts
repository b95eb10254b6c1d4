import {
  AggregationInputError,
  InvalidUpdateError,
  type ScoredContributions,
  scoreContributions,
  type ValidationLoss,
} from "@tributary/aggregation";
import {
  bytesToWeights,
  type JobLedger,
  type LedgerLeaf,
  type LedgerRound,
  SCORE_SCALE,
  type ScoringSpec,
} from "@tributary/protocol";
import { sha256Hex, sha256OfCid } from "./cid-digest.js";
import { type RecomputeSummary, type ReportBuilder, roundName } from "./ledger-report.js";
import type { FetchBlob } from "./verify-blobs.js";

/**
 * Relative precision of one validation loss, between two honest evaluations of the same weights on the same set.
 * Everything else in the scoring (FedAvg of the coalitions, leave-one-out differences, GTG-Shapley averages,
 * normalisation, fixed point) is float64 JavaScript, bit-for-bit the same on every platform; the loss alone is a
 * float32 tfjs computation whose summation order depends on the backend. On the same backend it is deterministic
 * and the recomputed scores are identical to the wei. Measured across backends (wasm SIMD vs cpu, a 784-200-200-10
 * MLP on 2,000 examples): at most 1.4e-7 of the loss. 1e-5 leaves two orders of magnitude for other backends
 * (tfjs-node's threaded reductions) and larger sets, whose float32 sums drift roughly with √examples.
 */
const LOSS_PRECISION = 1e-5;

/** 1e-15 of a round, in units of 1e-18: what float64 rounding can move a share computed from example counts. */
const EXAMPLES_TOLERANCE = 1000n;

export interface RecomputeScoresOptions {
  /** The job's scoring, from its spec (whose hash is the job's `modelSpecHash` on chain), not from the ledger. */
  readonly scoring: ScoringSpec;
  /** The validation loss of the job's model on the published validation set; not needed under `examples`. */
  readonly validationLoss?: ValidationLoss | undefined;
  /** Called after each round, e.g. to show progress (chain round, leaves and evaluations of that round). */
  readonly onRound?: ((round: { chainRound: number; leaves: number; evaluations: number }) => void) | undefined;
}

/** The blob's bytes if served and hashing to what its CID names, else why not. */
async function fetchChecked(fetchBlob: FetchBlob, cid: string): Promise<Uint8Array | string> {
  try {
    const bytes = await fetchBlob(cid);
    if (bytes === undefined) return `blob ${cid} is not served`;
    return (await sha256Hex(bytes)) === sha256OfCid(cid) ? bytes : `blob ${cid} does not hash to its CID`;
  } catch (error) {
    return `blob ${cid} cannot be had (${error instanceof Error ? error.message : String(error)})`;
  }
}

/** Canonical JSON of a scoring spec (keys sorted), to compare the ledger's with the job spec's. */
function canonical(scoring: ScoringSpec): string {
  return JSON.stringify(Object.fromEntries(Object.entries(scoring).sort(([a], [b]) => a.localeCompare(b))));
}

/**
 * Re-evaluates every round's contributions from the same inputs the coordinator scored them from, and compares each
 * leaf's anchored score with the recomputed one:
 * - the round's starting model: the job's initial model for the first round (`initialModelCid`), else the previous
 *   round's model (whose hash is anchored on chain);
 * - the updates: each leaf's update blob (its SHA-256 is in the anchored leaf), in the ledger's order, by trainer;
 * - the leaves' example counts and rejections (anchored, and signed by the trainers);
 * - the job's scoring spec and the published validation set, through `validationLoss`.
 * A leaf that disagrees is a `score-recomputed` disagreement naming its round and trainer. Rounds whose inputs cannot
 * be had are skipped with a `scores-not-recomputed` warning (an unserved blob is already a disagreement of its own);
 * a round whose contributions are all within the validation loss's precision cannot be told apart from noise and is
 * a `scores-imprecise` warning. Blobs are fetched one round at a time: a round's updates are held in memory while it
 * is scored, since its coalitions revisit them.
 */
export async function recomputeScores(
  report: ReportBuilder,
  ledger: JobLedger,
  fetchBlob: FetchBlob,
  options: RecomputeScoresOptions,
): Promise<RecomputeSummary> {
  const { scoring } = options;
  const summary: RecomputeSummary = { method: scoring.method, rounds: 0, leaves: 0, evaluations: 0, notRecomputed: 0 };
  report.compare(
    "scoring-spec",
    canonical(scoring),
    canonical(ledger.scoring),
    `the ledger's scoring ${canonical(ledger.scoring)} is not the job spec's ${canonical(scoring)} (the spec's hash is the job's modelSpecHash on chain): the scores are recomputed with the spec's`,
  );
  const { initialModelCid, initialModelHash } = ledger;
  if (initialModelCid !== undefined && sha256OfCid(initialModelCid) !== initialModelHash) {
    report.add({
      kind: "model-cid",
      expected: String(initialModelHash),
      actual: initialModelCid,
      message: `the ledger's initialModelCid ${initialModelCid} does not name the bytes of its initialModelHash ${initialModelHash}`,
    });
  }
  if (scoring.method !== "examples" && options.validationLoss === undefined) {
    throw new Error(`recomputing ${scoring.method} scores needs the validation loss`);
  }
  const skip = (round: LedgerRound, why: string) => {
    summary.notRecomputed += 1;
    report.warn({ kind: "scores-not-recomputed", message: `${roundName(round.round)}: scores not recomputed: ${why}` });
  };
  const rounds = [...ledger.rounds].sort((a, b) => a.round - b.round);
  for (const [index, round] of rounds.entries()) {
    const previous = index === 0 ? undefined : rounds[index - 1];
    let startCid: string | undefined;
    if (round.round === 1) startCid = initialModelCid;
    else if (previous?.round === round.round - 1) startCid = previous.modelCid;
    if (startCid === undefined) {
      skip(
        round,
        round.round === 1
          ? "the ledger names no initial model (a coordinator older than initialModelCid)"
          : `its starting model is the model of ${roundName(round.round - 1)}, which is not in the ledger`,
      );
      continue;
    }
    const inputs = await roundInputs(fetchBlob, startCid, round, scoring.method !== "examples");
    if (typeof inputs === "string") {
      skip(round, inputs);
      continue;
    }
    let largestLoss = 0;
    const { validationLoss } = options;
    let result: ScoredContributions;
    try {
      result = await scoreContributions({
        scoring: asScored(scoring, round),
        global: inputs.global,
        numExamples: inputs.leaves.map((leaf) => Number(leaf.numExamples)),
        deltas: inputs.deltas,
        rejected: new Set(inputs.leaves.flatMap((leaf, position) => (leaf.rejected ? [position] : []))),
        validationLoss:
          validationLoss &&
          (async (weights) => {
            const loss = await validationLoss(weights);
            largestLoss = Math.max(largestLoss, Math.abs(loss));
            return loss;
          }),
      });
    } catch (error) {
      if (!(error instanceof AggregationInputError || error instanceof InvalidUpdateError)) throw error;
      summary.notRecomputed += 1;
      report.add({
        kind: "score-inputs",
        chainRound: round.round,
        message: `${roundName(round.round)}: its updates cannot be scored as the coordinator must have: ${error.message}`,
      });
      continue;
    }
    compareScores(report, round.round, inputs.leaves, result, largestLoss);
    summary.rounds += 1;
    summary.leaves += inputs.leaves.length;
    summary.evaluations += result.evaluations;
    options.onRound?.({ chainRound: round.round, leaves: inputs.leaves.length, evaluations: result.evaluations });
  }
  return summary;
}

/** The round's starting model, its leaves by trainer and (validation-set methods) their deltas, or why not. */
async function roundInputs(
  fetchBlob: FetchBlob,
  startCid: string,
  round: LedgerRound,
  needDeltas: boolean,
): Promise<{ global: Float32Array; leaves: LedgerLeaf[]; deltas: Float32Array[] | undefined } | string> {
  const start = await fetchChecked(fetchBlob, startCid);
  if (typeof start === "string") return `its starting model: ${start}`;
  // The coordinator scores a round's updates in trainer order; the anchored root does not fix an order.
  const leaves = [...round.leaves].sort((a, b) => (a.trainer.toLowerCase() < b.trainer.toLowerCase() ? -1 : 1));
  const unsafe = leaves.find((leaf) => !Number.isSafeInteger(Number(leaf.numExamples)));
  if (unsafe !== undefined) return `${unsafe.trainer}'s numExamples ${unsafe.numExamples} is not a safe integer`;
  if (!needDeltas) return { global: bytesToWeights(start), leaves, deltas: undefined };
  const deltas: Float32Array[] = [];
  for (const leaf of leaves) {
    const bytes = await fetchChecked(fetchBlob, leaf.updateCid);
    if (typeof bytes === "string") return `the update of ${leaf.trainer}: ${bytes}`;
    deltas.push(bytesToWeights(bytes));
  }
  return { global: bytesToWeights(start), leaves, deltas };
}

/**
 * The tolerance of a round's recomputed shares, in units of 1e-18 of the round; `undefined` when its contributions
 * are within the loss's precision. With every loss within ρ·L of the coordinator's (ρ = `LOSS_PRECISION`, L the
 * largest |loss| evaluated), each raw contribution (a difference of two losses, or an average of such differences)
 * is within δ = 2ρL, so each of the n accepted clipped contributions p_i and their sum P within δ and nδ, and a
 * share p_i / P within δ(1 + n·s_i) / (P − nδ) ≤ δ(1 + n) / (P − nδ). P is known only as recomputed, itself within
 * nδ: the bound uses P' − 2nδ. Plus one unit for fixed point (each share is within one unit of its exact value).
 * Under `examples` nothing is evaluated: the shares are float64 quotients n_i / Σn, within a few ulps (≈ 2e-16)
 * of the exact rationals, so `EXAMPLES_TOLERANCE` lets a coordinator that rounds differently pass. (GTG-Shapley's
 * truncation and convergence tests are thresholds: a loss that differs by less than ρ·L can still, rarely, flip
 * one and move the estimate by more; on the coordinator's backend the evaluation is identical and none flips.)
 */
function tolerance(result: ScoredContributions, leaves: readonly LedgerLeaf[], largestLoss: number) {
  if (result.evaluations === 0) return EXAMPLES_TOLERANCE;
  const delta = 2 * LOSS_PRECISION * largestLoss;
  const accepted = leaves.filter((leaf) => !leaf.rejected).length;
  let positive = 0;
  leaves.forEach((leaf, index) => {
    if (!leaf.rejected) positive += Math.max(0, result.raw[index] as number);
  });
  const margin = positive - 2 * accepted * delta;
  if (margin <= 0) return undefined;
  return BigInt(Math.ceil((delta * (1 + accepted) * Number(SCORE_SCALE)) / margin)) + 1n;
}

/** `0.412345` of the round, for messages. */
function share(score: bigint): string {
  return (Number(score) / Number(SCORE_SCALE)).toFixed(6);
}

function compareScores(
  report: ReportBuilder,
  chainRound: number,
  leaves: readonly LedgerLeaf[],
  result: ScoredContributions,
  largestLoss: number,
): void {
  const name = roundName(chainRound);
  const allowed = tolerance(result, leaves, largestLoss);
  if (allowed === undefined) {
    report.warn({
      kind: "scores-imprecise",
      message: `${name}: the round's contributions are within the validation loss's precision (${LOSS_PRECISION} of ${largestLoss}): its scores cannot be told apart from rounding and were not compared`,
    });
    return;
  }
  leaves.forEach((leaf, index) => {
    const anchored = BigInt(leaf.score);
    const recomputed = result.scores[index] as bigint;
    const difference = anchored > recomputed ? anchored - recomputed : recomputed - anchored;
    if (difference <= allowed) return;
    report.add({
      kind: "score-recomputed",
      chainRound,
      trainer: leaf.trainer,
      expected: String(recomputed),
      actual: leaf.score,
      message: `${name}: leaf of ${leaf.trainer}: anchored score ${share(anchored)} of the round ≠ ${share(recomputed)} recomputed from its update, the round's starting model and the validation set (${result.evaluations} evaluations; tolerance ${share(allowed)})`,
    });
  });
}

/**
 * The job's scoring as the round was scored: a spec that names no `estimator` scored rounds of more than 12 updates
 * by GTG-Shapley before Stratified-Shapley became the default, and its ledger says so (`computedBy: "gtg-shapley"`);
 * such a round is recomputed by GTG-Shapley (both are deterministic in the same inputs).
 */
export function asScored(scoring: ScoringSpec, round: Pick<LedgerRound, "scoring">): ScoringSpec {
  if (scoring.method !== "gtg-shapley" || scoring.estimator !== undefined) return scoring;
  return round.scoring.computedBy === "gtg-shapley" ? { ...scoring, estimator: "gtg" } : scoring;
}
