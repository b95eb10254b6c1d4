/**
 * `npm run bench:scoring`: what contribution scoring costs per round and how close it comes to the exact Shapley
 * values (issue 7). A real round: Fashion-MNIST split among 10 owners with Dirichlet(0.5) label skew, the MLP
 * 784-200-200-10 after a few FedAvg rounds, each owner training one local epoch from it; the coordinator's
 * scoring path (`createValidationEvaluator` on 1,000 held-out test records, utility = −validation loss of
 * global + FedAvg(coalition)). Measures one model evaluation, the round's FedAvg, leave-one-out and GTG-Shapley
 * (defaults) against the baseline of the same run: exact Shapley by brute force over all 2^10 coalitions.
 * Prints a table, the per-owner values, then one JSON line.
 */
import { parseArgs } from "node:util";
import {
  fedAvg,
  fedAvgSubsetUtility,
  type GtgShapleyResult,
  gtgShapley,
  leaveOneOut,
  normaliseScores,
  type SubsetUtility,
} from "@tributary/aggregation";
import {
  buildModel,
  createValidationEvaluator,
  getFlatWeights,
  initTrainingBackend,
  setFlatWeights,
} from "@tributary/model-runtime";
import { decodeValidationSet, encodeValidationSet, labelHistogram, MLP_784_200_200_10 } from "@tributary/protocol";
import {
  type Dataset,
  FASHION_MNIST_DIR,
  loadMnistIdx,
  type MnistSplit,
  mnistIdxFiles,
  partitionDirichlet,
  subsetDataset,
  trainLocal,
} from "@tributary/trainer-agent";
import { z } from "zod";
import { exactShapley, l1Distance, MAX_EXACT_PLAYERS, spearman } from "./scoring-fidelity.js";

const ALPHA = 0.5;
/** The federated benchmark's local training settings. */
const TRAINING = { epochs: 1, batchSize: 32, learningRate: 0.05 } as const;
const MODEL = MLP_784_200_200_10;

const count = z.coerce.number().int().positive();
const ArgsSchema = z.strictObject({
  clients: z.coerce.number().int().min(2).max(MAX_EXACT_PLAYERS).default(10),
  "warmup-rounds": z.coerce.number().int().min(0).default(2),
  "train-records": count.optional(),
  "validation-records": count.default(1_000),
  "gtg-seeds": count.default(5),
  "evaluation-repeats": count.default(20),
});

function parseOptions() {
  const { values } = parseArgs({
    options: {
      clients: { type: "string" },
      "warmup-rounds": { type: "string" },
      "train-records": { type: "string" },
      "validation-records": { type: "string" },
      "gtg-seeds": { type: "string" },
      "evaluation-repeats": { type: "string" },
    },
  });
  const args = ArgsSchema.parse(values);
  return {
    clients: args.clients,
    warmupRounds: args["warmup-rounds"],
    trainRecords: args["train-records"],
    validationRecords: args["validation-records"],
    gtgSeeds: args["gtg-seeds"],
    evaluationRepeats: args["evaluation-repeats"],
  };
}

async function loadSplit(split: MnistSplit): Promise<Dataset> {
  return (await loadMnistIdx(FASHION_MNIST_DIR, split)).dataset;
}

const firstRecords = (dataset: Dataset, records: number) =>
  subsetDataset(
    dataset,
    Int32Array.from({ length: Math.min(records, dataset.count) }, (_, i) => i),
  );

/** The round's updates as the trainer agents send them: trained − global, with each owner's record count. */
interface RoundUpdates {
  readonly deltas: Float32Array[];
  readonly numExamples: number[];
  readonly trainingMs: number;
}

/** Every owner trains from `global` one after another on the one model (as a trainer agent does per round). */
async function localRound(
  model: ReturnType<typeof buildModel>,
  owners: readonly Dataset[],
  global: Float32Array,
  round: number,
): Promise<RoundUpdates> {
  const started = performance.now();
  const deltas: Float32Array[] = [];
  const numExamples: number[] = [];
  for (const [owner, dataset] of owners.entries()) {
    setFlatWeights(model, global);
    const result = await trainLocal({ model, dataset, ...TRAINING, seed: `scoring-bench-${round}-${owner}` });
    const delta = new Float32Array(global.length);
    for (let i = 0; i < delta.length; i++) delta[i] = (result.weights[i] as number) - (global[i] as number);
    deltas.push(delta);
    numExamples.push(result.numExamples);
  }
  return { deltas, numExamples, trainingMs: performance.now() - started };
}

/** The coordinator's FedAvg round: global + FedAvg(deltas), in float32. */
function applyRound(global: Float32Array, updates: RoundUpdates): Float32Array {
  const average = fedAvg(
    updates.deltas.map((weights, k) => ({ weights, numExamples: updates.numExamples[k] as number })),
  );
  return global.map((value, i) => value + (average[i] as number));
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
};

async function medianMs(repeats: number, run: () => unknown): Promise<number> {
  const times: number[] = [];
  for (let r = 0; r < repeats; r++) {
    const started = performance.now();
    await run();
    times.push(performance.now() - started);
  }
  return median(times);
}

const fixed = (value: number, digits: number) => Number(value.toFixed(digits));
const grouped = (value: number) => Math.round(value).toLocaleString("en-US");

async function main(): Promise<void> {
  const started = performance.now();
  const options = parseOptions();
  if (mnistIdxFiles(FASHION_MNIST_DIR, "train").images === undefined) {
    throw new Error(`Fashion-MNIST is not installed: apt-get install -y dataset-fashion-mnist (${FASHION_MNIST_DIR})`);
  }
  const backend = await initTrainingBackend();
  const fullTrain = await loadSplit("train");
  const train = options.trainRecords === undefined ? fullTrain : firstRecords(fullTrain, options.trainRecords);
  const test = await loadSplit("test");
  const partition = partitionDirichlet(train.labels, 10, options.clients, {
    alpha: ALPHA,
    seed: "scoring-bench",
    minRecordsPerClient: 2 * TRAINING.batchSize,
  });
  const owners = partition.map((indices) => subsetDataset(train, indices));

  // The researcher's held-out set, as the demo uploads it (file values × featureScale) and the coordinator
  // decodes it: the first test records.
  const held = firstRecords(test, options.validationRecords);
  const scaled = held.features.map((value) => value * held.featureScale);
  const validationSet = decodeValidationSet(
    encodeValidationSet({ featureShape: [...MODEL.inputShape], features: scaled, labels: held.labels }),
  );
  const evaluator = await createValidationEvaluator(MODEL, validationSet);
  const validationLoss = async (weights: Float32Array) => (await evaluator.evaluate(weights)).loss;

  const model = buildModel(MODEL, { seed: 1 });
  let global = getFlatWeights(model);
  for (let round = 0; round < options.warmupRounds; round++) {
    global = applyRound(global, await localRound(model, owners, global, round));
    const score = await evaluator.evaluate(global);
    process.stdout.write(
      `warm-up FedAvg round ${round + 1}: validation loss ${score.loss.toFixed(4)}, accuracy ${(score.accuracy * 100).toFixed(2)} %\n`,
    );
  }
  const round = await localRound(model, owners, global, options.warmupRounds);
  model.dispose();
  const n = options.clients;
  const before = await evaluator.evaluate(global);
  const after = await evaluator.evaluate(applyRound(global, round));

  // One evaluation of a model, as scoring pays it per coalition (warmed up first).
  for (let r = 0; r < 3; r++) await validationLoss(global);
  const evaluationMs = await medianMs(options.evaluationRepeats, () => validationLoss(global));
  const updates = round.deltas.map((weights, k) => ({ weights, numExamples: round.numExamples[k] as number }));
  const fedAvgMs = await medianMs(options.evaluationRepeats, () => fedAvg(updates));

  // A fresh utility per method: each method's own memo decides what it evaluates; nothing is shared.
  const utility = (): SubsetUtility =>
    fedAvgSubsetUtility({
      global,
      deltas: round.deltas,
      numExamples: round.numExamples,
      evaluate: async (weights) => -(await validationLoss(weights)),
    });
  process.stdout.write(`scoring the round's ${n} updates…\n`);
  const loo = await leaveOneOut(n, utility());
  const gtgRuns: GtgShapleyResult[] = [];
  for (let seed = 0; seed < options.gtgSeeds; seed++) gtgRuns.push(await gtgShapley(n, utility(), { seed }));
  const gtg = gtgRuns[0] as GtgShapleyResult;
  const exact = await exactShapley(n, utility());

  const exactShares = normaliseScores(exact.scores);
  const fidelity = (raw: ArrayLike<number>) => ({
    l1: l1Distance(normaliseScores(raw), exactShares),
    spearman: spearman(raw, exact.scores),
  });
  const looFidelity = fidelity(loo.scores);
  const gtgFidelity = gtgRuns.map((run) => fidelity(run.scores));
  const examplesFidelity = fidelity(round.numExamples);
  const gtgDefault = gtgFidelity[0] as { l1: number; spearman: number };
  const speedup = exact.elapsedMs / gtg.elapsedMs;
  const utilityOfNone = exact.values[0] as number;
  const utilityOfAll = exact.values[(1 << n) - 1] as number;
  // Efficiency, Σφ = v(N) − v(∅): a check on the brute force itself.
  const efficiencyGap = exact.scores.reduce((sum, value) => sum + value, 0) - (utilityOfAll - utilityOfNone);

  const parameters = global.length;
  process.stdout.write(
    `\nFashion-MNIST, ${n} owners, Dirichlet(${ALPHA}) over ${grouped(train.count)} training records; MLP 784-200-200-10 (${grouped(parameters)} parameters) after ${options.warmupRounds} FedAvg rounds; 1 local epoch, lr ${TRAINING.learningRate}, batch ${TRAINING.batchSize}; validation: the first ${grouped(validationSet.count)} test records, utility −loss; tfjs ${backend.name}${backend.simd ? " simd" : ""}; ${new Date().toISOString()}\n`,
  );
  process.stdout.write(
    `round: validation loss ${before.loss.toFixed(4)} → ${after.loss.toFixed(4)}, accuracy ${(before.accuracy * 100).toFixed(2)} % → ${(after.accuracy * 100).toFixed(2)} %\n\n`,
  );
  const rows: string[][] = [
    ["one model evaluation", "1", "", evaluationMs.toFixed(1), "", "", ""],
    [`FedAvg of the round (${n} × ${grouped(parameters)})`, "", "", fedAvgMs.toFixed(2), "", "", ""],
    [`local training of the round (${n} owners, one after another)`, "", "", grouped(round.trainingMs), "", "", ""],
    [
      "leave-one-out",
      String(loo.evaluations),
      "",
      grouped(loo.elapsedMs),
      looFidelity.l1.toFixed(3),
      looFidelity.spearman.toFixed(3),
      `${(exact.elapsedMs / loo.elapsedMs).toFixed(1)}×`,
    ],
    [
      `GTG-Shapley (defaults, seed 0${gtg.converged ? "" : ", not converged"})`,
      String(gtg.evaluations),
      String(gtg.permutations),
      grouped(gtg.elapsedMs),
      gtgDefault.l1.toFixed(3),
      gtgDefault.spearman.toFixed(3),
      `${speedup.toFixed(1)}×`,
    ],
    [
      `exact Shapley, all 2^${n} coalitions (baseline)`,
      String(exact.evaluations),
      "",
      grouped(exact.elapsedMs),
      "0",
      "1",
      "1×",
    ],
    [
      "example counts (`examples` method, reference)",
      "0",
      "",
      "",
      examplesFidelity.l1.toFixed(3),
      examplesFidelity.spearman.toFixed(3),
      "",
    ],
  ];
  process.stdout.write(
    "| measure | evaluations | permutations | ms | L1 of shares vs exact | Spearman vs exact | speed-up vs exact |\n",
  );
  process.stdout.write("|---|---:|---:|---:|---:|---:|---:|\n");
  for (const row of rows) process.stdout.write(`| ${row.join(" | ")} |\n`);

  const range = (values: number[], digits: number) =>
    `${Math.min(...values).toFixed(digits)}–${Math.max(...values).toFixed(digits)}`;
  process.stdout.write(
    `\nGTG-Shapley over seeds 0–${options.gtgSeeds - 1}: evaluations ${range(
      gtgRuns.map((run) => run.evaluations),
      0,
    )}, permutations ${range(
      gtgRuns.map((run) => run.permutations),
      0,
    )}, ms ${range(
      gtgRuns.map((run) => run.elapsedMs),
      0,
    )}, L1 ${range(
      gtgFidelity.map((f) => f.l1),
      3,
    )}, Spearman ${range(
      gtgFidelity.map((f) => f.spearman),
      3,
    )}; converged ${gtgRuns.filter((run) => run.converged).length}/${gtgRuns.length}; within-round truncation skipped ${gtg.truncatedSteps} of ${gtg.permutations * n} steps (seed 0)\n`,
  );
  process.stdout.write(
    `exact: v(∅) = ${utilityOfNone.toFixed(4)}, v(N) = ${utilityOfAll.toFixed(4)}, Σφ − (v(N) − v(∅)) = ${efficiencyGap.toExponential(1)}\n\n`,
  );

  const looShares = normaliseScores(loo.scores);
  const gtgShares = normaliseScores(gtg.scores);
  const exampleShares = normaliseScores(round.numExamples);
  process.stdout.write(
    "| owner | records | classes with ≥ 5 % of its records | exact φ | exact share | LOO φ | LOO share | GTG φ | GTG share | examples share |\n",
  );
  process.stdout.write("|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|\n");
  for (const [k, owner] of owners.entries()) {
    const histogram = labelHistogram(owner.labels, 10);
    const classes = histogram.flatMap((records, label) => (records >= 0.05 * owner.count ? [label] : [])).join(",");
    const cells = [
      String(k),
      grouped(owner.count),
      classes,
      (exact.scores[k] as number).toFixed(4),
      (exactShares[k] as number).toFixed(3),
      (loo.scores[k] as number).toFixed(4),
      (looShares[k] as number).toFixed(3),
      (gtg.scores[k] as number).toFixed(4),
      (gtgShares[k] as number).toFixed(3),
      (exampleShares[k] as number).toFixed(3),
    ];
    process.stdout.write(`| ${cells.join(" | ")} |\n`);
  }
  evaluator.dispose();

  const summary = {
    dataset: "fashion-mnist",
    model: "mlp-784-200-200-10",
    parameters,
    clients: n,
    partition: `dirichlet(${ALPHA})`,
    trainRecords: train.count,
    validationRecords: validationSet.count,
    warmupRounds: options.warmupRounds,
    backend: { name: backend.name, simd: backend.simd, threads: backend.threads },
    validationLossBefore: fixed(before.loss, 4),
    validationLossAfter: fixed(after.loss, 4),
    evaluationMs: fixed(evaluationMs, 2),
    fedAvgMs: fixed(fedAvgMs, 2),
    roundTrainingMs: Math.round(round.trainingMs),
    leaveOneOut: {
      evaluations: loo.evaluations,
      ms: Math.round(loo.elapsedMs),
      l1: fixed(looFidelity.l1, 4),
      spearman: fixed(looFidelity.spearman, 4),
    },
    gtgShapley: {
      evaluations: gtg.evaluations,
      permutations: gtg.permutations,
      converged: gtg.converged,
      truncatedSteps: gtg.truncatedSteps,
      ms: Math.round(gtg.elapsedMs),
      l1: fixed(gtgDefault.l1, 4),
      spearman: fixed(gtgDefault.spearman, 4),
      speedupVsExact: fixed(speedup, 2),
      seeds: gtgRuns.map((run, seed) => ({
        seed,
        evaluations: run.evaluations,
        permutations: run.permutations,
        ms: Math.round(run.elapsedMs),
        l1: fixed((gtgFidelity[seed] as { l1: number }).l1, 4),
        spearman: fixed((gtgFidelity[seed] as { spearman: number }).spearman, 4),
      })),
    },
    exactShapley: {
      evaluations: exact.evaluations,
      ms: Math.round(exact.elapsedMs),
      utilityOfNone: fixed(utilityOfNone, 6),
      utilityOfAll: fixed(utilityOfAll, 6),
    },
    examples: { l1: fixed(examplesFidelity.l1, 4), spearman: fixed(examplesFidelity.spearman, 4) },
    durationS: fixed((performance.now() - started) / 1000, 1),
  };
  process.stdout.write(`${JSON.stringify(summary)}\n`);
}

await main();
