/**
 * `npm run bench:scoring`: what contribution scoring costs per round and how close each method comes to exact
 * Shapley (issues 7 and 20), over several real rounds and seeds. Per seed: Fashion-MNIST split among 10 owners with
 * Dirichlet(0.5) label skew (the seed's partition and initial model), the MLP 784-200-200-10 after a few FedAvg
 * warm-up rounds, then several scored rounds, each owner training one local epoch per round; the coordinator's
 * scoring path (`createValidationEvaluator` on 1,000 held-out test records, utility = −validation loss of
 * global + FedAvg(coalition)). Per round: exact Shapley as the coordinator computes it for rounds of ≤ 12 updates
 * (the baseline: its measured time is the cost), GTG-Shapley with its defaults and stopping rule (several sampler
 * seeds: permutations to convergence, evaluations, L1 to exact, cost ratio), leave-one-out and example counts.
 * Prints the per-round table, the summary against the goal (L1 ≤ 0.1 at ≤ 0.5× exact's cost), then one JSON line.
 */
import { parseArgs } from "node:util";
import { fedAvg, fedAvgSubsetUtility } from "@tributary/aggregation";
import {
  buildModel,
  createValidationEvaluator,
  getFlatWeights,
  initTrainingBackend,
  setFlatWeights,
} from "@tributary/model-runtime";
import { decodeValidationSet, encodeValidationSet, MLP_784_200_200_10 } from "@tributary/protocol";
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
import { MAX_EXACT_PLAYERS } from "./scoring-fidelity.js";
import { type ScoredRound, scoreRound } from "./scoring-round.js";
import { scoringSummary, scoringTable } from "./scoring-summary.js";

const ALPHA = 0.5;
/** The federated benchmark's local training settings. */
const TRAINING = { epochs: 1, batchSize: 32, learningRate: 0.05 } as const;
const MODEL = MLP_784_200_200_10;

const count = z.coerce.number().int().positive();
const ArgsSchema = z.strictObject({
  clients: z.coerce.number().int().min(2).max(MAX_EXACT_PLAYERS).default(10),
  "warmup-rounds": z.coerce.number().int().min(0).default(2),
  rounds: count.default(3),
  seeds: count.default(2),
  "train-records": count.optional(),
  "validation-records": count.default(1_000),
  "gtg-seeds": count.default(3),
});

function parseOptions() {
  const { values } = parseArgs({
    options: {
      clients: { type: "string" },
      "warmup-rounds": { type: "string" },
      rounds: { type: "string" },
      seeds: { type: "string" },
      "train-records": { type: "string" },
      "validation-records": { type: "string" },
      "gtg-seeds": { type: "string" },
    },
  });
  const args = ArgsSchema.parse(values);
  return {
    clients: args.clients,
    warmupRounds: args["warmup-rounds"],
    rounds: args.rounds,
    seeds: args.seeds,
    trainRecords: args["train-records"],
    validationRecords: args["validation-records"],
    gtgSeeds: args["gtg-seeds"],
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
  seed: string,
): Promise<RoundUpdates> {
  const started = performance.now();
  const deltas: Float32Array[] = [];
  const numExamples: number[] = [];
  for (const [owner, dataset] of owners.entries()) {
    setFlatWeights(model, global);
    const result = await trainLocal({ model, dataset, ...TRAINING, seed: `${seed}-${owner}` });
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

const fixed = (value: number, digits: number) => Number(value.toFixed(digits));

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
  // The researcher's held-out set, as the demo uploads it (file values × featureScale) and the coordinator
  // decodes it: the first test records.
  const held = firstRecords(test, options.validationRecords);
  const scaled = held.features.map((value) => value * held.featureScale);
  const validationSet = decodeValidationSet(
    encodeValidationSet({ featureShape: [...MODEL.inputShape], features: scaled, labels: held.labels }),
  );
  const evaluator = await createValidationEvaluator(MODEL, validationSet);
  // Warmed up first, so exact Shapley's measured cost per evaluation is the steady one.
  const warmModel = buildModel(MODEL, { seed: 0 });
  const warm = getFlatWeights(warmModel);
  warmModel.dispose();
  for (let r = 0; r < 5; r++) await evaluator.evaluate(warm);
  const n = options.clients;
  const rounds: ScoredRound[] = [];
  let trainingMs = 0;
  let trainedRounds = 0;
  let parameters = 0;
  for (let seed = 0; seed < options.seeds; seed++) {
    const partition = partitionDirichlet(train.labels, 10, n, {
      alpha: ALPHA,
      seed: `scoring-bench-${seed}`,
      minRecordsPerClient: 2 * TRAINING.batchSize,
    });
    const owners = partition.map((indices) => subsetDataset(train, indices));
    const model = buildModel(MODEL, { seed: seed + 1 });
    let global = getFlatWeights(model);
    parameters = global.length;
    for (let round = 0; round < options.warmupRounds + options.rounds; round++) {
      const updates = await localRound(model, owners, global, `scoring-bench-${seed}-${round}`);
      trainingMs += updates.trainingMs;
      trainedRounds++;
      if (round >= options.warmupRounds) {
        const utility = fedAvgSubsetUtility({
          global,
          deltas: updates.deltas,
          numExamples: updates.numExamples,
          evaluate: async (weights) => -(await evaluator.evaluate(weights)).loss,
        });
        const scored = await scoreRound({
          seed,
          round: round + 1,
          n,
          utility,
          numExamples: updates.numExamples,
          gtgSeeds: options.gtgSeeds,
        });
        rounds.push(scored);
        const gtgL1 = scored.gtg.map((run) => run.l1.toFixed(3)).join("/");
        process.stdout.write(
          `seed ${seed} round ${round + 1}: exact ${scored.exact.evaluations} evaluations in ${(scored.exact.ms / 1000).toFixed(1)} s; GTG L1 ${gtgL1}, permutations ${scored.gtg.map((run) => run.permutations).join("/")}\n`,
        );
      }
      global = applyRound(global, updates);
      const score = await evaluator.evaluate(global);
      process.stdout.write(
        `seed ${seed}, after FedAvg round ${round + 1}: validation loss ${score.loss.toFixed(4)}, accuracy ${(score.accuracy * 100).toFixed(2)} %\n`,
      );
    }
    model.dispose();
  }
  evaluator.dispose();
  process.stdout.write(
    `\nFashion-MNIST, ${n} owners, Dirichlet(${ALPHA}) over ${train.count} training records; MLP 784-200-200-10 (${parameters} parameters), ${options.warmupRounds} warm-up FedAvg rounds then ${options.rounds} scored rounds per seed, seeds 0–${options.seeds - 1}; 1 local epoch, lr ${TRAINING.learningRate}, batch ${TRAINING.batchSize}; validation: the first ${validationSet.count} test records, utility −loss; GTG-Shapley defaults, sampler seeds 0–${options.gtgSeeds - 1}; tfjs ${backend.name}${backend.simd ? " simd" : ""}; ${new Date().toISOString()}\n\n`,
  );
  process.stdout.write(`${scoringTable(rounds)}\n`);
  const summary = {
    dataset: "fashion-mnist",
    model: "mlp-784-200-200-10",
    parameters,
    clients: n,
    partition: `dirichlet(${ALPHA})`,
    trainRecords: train.count,
    validationRecords: validationSet.count,
    warmupRounds: options.warmupRounds,
    scoredRoundsPerSeed: options.rounds,
    seeds: options.seeds,
    gtgSeeds: options.gtgSeeds,
    backend: { name: backend.name, simd: backend.simd, threads: backend.threads },
    roundTrainingMs: Math.round(trainingMs / Math.max(1, trainedRounds)),
    ...scoringSummary(rounds),
    durationS: fixed((performance.now() - started) / 1000, 1),
  };
  process.stdout.write(`${JSON.stringify(summary)}\n`);
}

await main();
