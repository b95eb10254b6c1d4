import {
  type Address,
  type JobLedger,
  type LedgerLeaf,
  type LedgerRound,
  SCORE_SCALE,
  type ScoringSpec,
  weightsToBytes,
} from "@tributary/protocol";
import { describe, expect, it } from "vitest";
import { cidOf, sha256Hex } from "../test-support/ledger-job.js";
import { ReportBuilder } from "./ledger-report.js";
import { asScored, recomputeScores } from "./recompute-scores.js";

/**
 * A linear regression y = x·w (4 weights, no bias) with mean squared error on 6 validation examples. Its loss is a
 * quadratic, so a change d of the model changes it by the closed form
 *   L(g + d) − L(g) = (2/N)·rᵀXd + (1/N)·‖Xd‖², r = Xg − y,
 * which the reference below uses; the loss handed to the auditor evaluates the model directly.
 */
const X = [
  [1, 0.5, -0.2, 0.3],
  [0.2, 1, 0.4, -0.5],
  [-0.3, 0.1, 1, 0.6],
  [0.7, -0.4, 0.2, 1],
  [0.5, 0.5, 0.5, 0.5],
  [-0.6, 0.3, -0.1, 0.8],
];
const TRUTH = [1.5, -2, 0.75, 1];
const Y = X.map((row) => row.reduce((sum, value, j) => sum + value * (TRUTH[j] as number), 0));
const N = X.length;

function loss(weights: ArrayLike<number>): number {
  let total = 0;
  for (const [n, row] of X.entries()) {
    const predicted = row.reduce((sum, value, j) => sum + value * (weights[j] as number), 0);
    total += (predicted - (Y[n] as number)) ** 2;
  }
  return total / N;
}

/** The closed-form loss change of moving the model from `global` by `step`. */
function lossChange(global: readonly number[], step: readonly number[]): number {
  let change = 0;
  for (const [n, row] of X.entries()) {
    const residual = row.reduce((sum, value, j) => sum + value * (global[j] as number), 0) - (Y[n] as number);
    const moved = row.reduce((sum, value, j) => sum + value * (step[j] as number), 0);
    change += 2 * residual * moved + moved * moved;
  }
  return change / N;
}

/** FedAvg of the members' deltas (float64): Σ n_k Δ_k / Σ n_k. */
function fedAvg(deltas: readonly Float32Array[], examples: readonly number[], members: readonly number[]): number[] {
  const total = members.reduce((sum, k) => sum + (examples[k] as number), 0);
  return [0, 1, 2, 3].map(
    (j) =>
      members.reduce((sum, k) => sum + ((deltas[k] as Float32Array)[j] as number) * (examples[k] as number), 0) / total,
  );
}

/** Leave-one-out shares by the closed form: φ_i = L(g + avg(N ∖ i)) − L(g + avg(N)), clipped at 0, normalised. */
function referenceShares(global: readonly number[], deltas: Float32Array[], examples: number[]): number[] {
  const all = deltas.map((_, k) => k);
  const full = lossChange(global, fedAvg(deltas, examples, all));
  const raw = all.map((i) =>
    Math.max(
      0,
      lossChange(
        global,
        fedAvg(
          deltas,
          examples,
          all.filter((k) => k !== i),
        ),
      ) - full,
    ),
  );
  const sum = raw.reduce((a, b) => a + b, 0);
  return raw.map((value) => value / sum);
}

const TRAINERS = [
  "0x00000000000000000000000000000000000000a1",
  "0x00000000000000000000000000000000000000b2",
  "0x00000000000000000000000000000000000000c3",
] as Address[];
const EXAMPLES = [100, 300, 200];
/**
 * Each trainer's delta moves the model half way to the truth, plus its own large error; the errors cancel in the
 * weighted average, so leaving any one update out leaves its partners' errors in the aggregate: every update helps.
 */
function deltasFrom(global: readonly number[], round: number): Float32Array[] {
  const errors = TRAINERS.map((_, k) => global.map((_, j) => 3 * Math.sin(k * 3 + j * 1.7 + round)));
  const mean = fedAvg(
    errors.map((error) => Float64Array.from(error) as unknown as Float32Array),
    EXAMPLES,
    [0, 1, 2],
  );
  return errors.map((error) =>
    Float32Array.from(
      global,
      (value, j) => ((TRUTH[j] as number) - value) * 0.5 + (error[j] as number) - (mean[j] as number),
    ),
  );
}

interface Played {
  readonly ledger: JobLedger;
  readonly blobs: Map<string, Uint8Array>;
  /** The closed-form shares of each round, in trainer order. */
  readonly expected: number[][];
}

/** Two rounds of a job as an honest coordinator scores them: shares from the closed form, as fixed point. */
function playRounds(scoring: ScoringSpec): Played {
  const blobs = new Map<string, Uint8Array>();
  const put = (weights: Float32Array) => {
    const bytes = weightsToBytes(weights);
    const cid = cidOf(bytes);
    blobs.set(cid, bytes);
    return { cid, hash: sha256Hex(bytes) };
  };
  let global = Float32Array.from([0.1, 0.2, -0.1, 0.05]);
  const initial = put(global);
  const rounds: LedgerRound[] = [];
  const expected: number[][] = [];
  for (let round = 1; round <= 2; round++) {
    const deltas = deltasFrom([...global], round);
    const shares =
      scoring.method === "examples"
        ? EXAMPLES.map((count) => count / EXAMPLES.reduce((a, b) => a + b, 0))
        : referenceShares([...global], deltas, EXAMPLES);
    expected.push(shares);
    const scores = shares.map((value) => BigInt(Math.round(value * 1e12)) * 10n ** 6n);
    scores[0] = (scores[0] as bigint) + SCORE_SCALE - scores.reduce((a, b) => a + b, 0n);
    const leaves = TRAINERS.map((trainer, k) => {
      const update = put(deltas[k] as Float32Array);
      return {
        trainer,
        updateHash: update.hash,
        numExamples: String(EXAMPLES[k]),
        score: String(scores[k]),
        datasetId: String(k + 1),
        epsilonSpent: null,
        updateCid: update.cid,
        rejected: false,
      } as LedgerLeaf;
    });
    const step = fedAvg(deltas, EXAMPLES, [0, 1, 2]);
    global = Float32Array.from(global, (value, j) => value + (step[j] as number));
    const model = put(global);
    rounds.push({
      round,
      updatesRoot: `0x${"00".repeat(32)}`,
      modelHash: model.hash,
      modelCid: model.cid,
      scoring: { method: scoring.method, evaluations: 4, elapsedMs: 1 },
      anchor: { status: "confirmed", txHash: null },
      // Served out of trainer order: the auditor puts them back in the coordinator's order.
      leaves: leaves.reverse(),
    } as LedgerRound);
  }
  const ledger = {
    jobId: "7",
    chainId: 31337,
    trainingJobs: `0x${"11".repeat(20)}`,
    status: "completed",
    escrow: "1000",
    feeBps: 0,
    scoring,
    initialModelCid: initial.cid,
    initialModelHash: initial.hash,
    rounds,
    epsilonByDataset: {},
    payout: null,
  } as JobLedger;
  return { ledger, blobs, expected };
}

async function recompute(played: Played, scoring: ScoringSpec) {
  const report = new ReportBuilder("7", "31337", `0x${"11".repeat(20)}`);
  const summary = await recomputeScores(report, played.ledger, async (cid) => played.blobs.get(cid), {
    scoring,
    validationLoss: async (weights) => loss(weights),
  });
  return { summary, report: report.finish() };
}

const LOO: ScoringSpec = { method: "leave-one-out", validationSetCid: cidOf(new Uint8Array([1])) as never };

describe("recomputeScores", () => {
  it("leave-one-out: agrees with an honest ledger whose scores are the closed-form shares, and recomputes them", async () => {
    const played = playRounds(LOO);
    // Every trainer helped, by clearly different amounts (the reference is not degenerate).
    for (const shares of played.expected) for (const value of shares) expect(value).toBeGreaterThan(0.02);
    const { summary, report } = await recompute(played, LOO);
    expect(report.disagreements).toEqual([]);
    expect(report.warnings).toEqual([]);
    expect(summary).toEqual({ method: "leave-one-out", rounds: 2, leaves: 6, evaluations: 8, notRecomputed: 0 });
  });

  it("leave-one-out: names the round and the trainers of a score moved from one trainer to another", async () => {
    const played = playRounds(LOO);
    const leaves = played.ledger.rounds[1]?.leaves ?? [];
    const [favoured, robbed] = [
      leaves.find((l) => l.trainer === TRAINERS[0]),
      leaves.find((l) => l.trainer === TRAINERS[2]),
    ];
    if (favoured === undefined || robbed === undefined) throw new Error("no leaf");
    const moved = SCORE_SCALE / 50n; // 2 % of the round
    favoured.score = String(BigInt(favoured.score) + moved);
    robbed.score = String(BigInt(robbed.score) - moved);
    const { report } = await recompute(played, LOO);
    expect(report.disagreements.map((d) => [d.kind, d.round, d.trainer])).toEqual([
      ["score-recomputed", 1, TRAINERS[0]],
      ["score-recomputed", 1, TRAINERS[2]],
    ]);
    // What it recomputed is the closed form's share, but for the float32 rounding of the models it evaluates.
    const expected = played.expected[1] as number[];
    for (const disagreement of report.disagreements) {
      const k = TRAINERS.indexOf(disagreement.trainer as Address);
      expect(Math.abs(Number(disagreement.expected) / 1e18 - (expected[k] as number))).toBeLessThan(1e-6);
    }
    expect(report.disagreements[0]?.message).toMatch(
      /^round 1: leaf of 0x0+a1: anchored score 0\.\d{6} of the round ≠ 0\.\d{6} recomputed from its update/,
    );
  });

  it("examples: the closed form n_i / Σn, to a thousand wei of 1e18; a millionth of the round moved is caught", async () => {
    const scoring: ScoringSpec = { method: "examples" };
    const played = playRounds(scoring);
    // 100 : 300 : 200 of 600 examples: a sixth, a half and a third of 1e18, exactly.
    const exact = [SCORE_SCALE / 6n, SCORE_SCALE / 2n, SCORE_SCALE / 3n];
    exact[1] = SCORE_SCALE - (exact[0] as bigint) - (exact[2] as bigint);
    for (const round of played.ledger.rounds) {
      for (const leaf of round.leaves) leaf.score = String(exact[TRAINERS.indexOf(leaf.trainer)]);
    }
    const honest = await recompute(played, scoring);
    expect(honest.report.disagreements).toEqual([]);
    expect(honest.summary).toMatchObject({ rounds: 2, leaves: 6, evaluations: 0 });
    const [first, second] = (played.ledger.rounds[0] as LedgerRound).leaves as [LedgerLeaf, LedgerLeaf];
    const moved = SCORE_SCALE / 1_000_000n;
    first.score = String(BigInt(first.score) + moved);
    second.score = String(BigInt(second.score) - moved);
    const tampered = await recompute(played, scoring);
    expect(tampered.report.disagreements.map((d) => [d.kind, d.round, d.trainer]).sort()).toEqual(
      [
        ["score-recomputed", 0, first.trainer],
        ["score-recomputed", 0, second.trainer],
      ].sort(),
    );
  });

  it("says which rounds it could not recompute, and uses the spec's scoring, not the ledger's", async () => {
    const played = playRounds(LOO);
    const { initialModelCid: _cid, initialModelHash: _hash, ...older } = played.ledger;
    const ledger = { ...older, scoring: { method: "examples" } } as JobLedger;
    const { summary, report } = await recompute({ ...played, ledger }, LOO);
    expect(summary).toMatchObject({ rounds: 1, notRecomputed: 1 });
    expect(report.warnings).toEqual([
      { kind: "scores-not-recomputed", message: expect.stringMatching(/^round 0: .*names no initial model/) },
    ]);
    expect(report.disagreements).toEqual([expect.objectContaining({ kind: "scoring-spec" })]);

    // An initial model whose CID and hash disagree is named (and its bytes still checked against the CID).
    const mislabelled = { ...played.ledger, initialModelHash: `0x${"00".repeat(32)}` } as JobLedger;
    const named = await recompute({ ...played, ledger: mislabelled }, LOO);
    expect(named.report.disagreements).toEqual([
      expect.objectContaining({ kind: "model-cid", actual: played.ledger.initialModelCid }),
    ]);
    expect(named.summary).toMatchObject({ rounds: 2, notRecomputed: 0 });
  });

  it("recomputes a round the ledger says GTG-Shapley scored by GTG-Shapley when the spec names no estimator", () => {
    const shapley: ScoringSpec = { method: "gtg-shapley", validationSetCid: LOO.validationSetCid };
    const round = (computedBy: LedgerRound["scoring"]["computedBy"]) => ({
      scoring: { method: "gtg-shapley" as const, evaluations: 1, elapsedMs: 1, computedBy },
    });
    expect(asScored(shapley, round("gtg-shapley"))).toEqual({ ...shapley, estimator: "gtg" });
    expect(asScored(shapley, round("stratified-shapley"))).toBe(shapley);
    expect(asScored(shapley, round("exact-shapley"))).toBe(shapley);
    const named: ScoringSpec = { ...shapley, estimator: "stratified" };
    expect(asScored(named, round("gtg-shapley"))).toBe(named);
    expect(asScored(LOO, round("gtg-shapley"))).toBe(LOO);
  });
});
