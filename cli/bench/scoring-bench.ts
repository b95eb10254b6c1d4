/**
 * `npm run bench:scoring`: what contribution scoring costs per round and how close each method comes to exact
 * Shapley (issues 7 and 20), over several real rounds and seeds. Per seed: Fashion-MNIST split among 10 owners with
 * Dirichlet(0.5) label skew (the seed's partition and initial model), the MLP 784-200-200-10 after a few FedAvg
 * warm-up rounds, then several scored rounds, each owner training one local epoch per round; the coordinator's
 * scoring path (`createValidationEvaluator` on 1,000 held-out test records, utility = −validation loss of
 * global + FedAvg(coalition)). Per round: exact Shapley as the coordinator computes it for rounds of ≤ 12 updates
 * (the baseline: its measured time is the cost, and it records every coalition's value); then, reading those
 * values (cost = distinct coalitions asked for), Stratified-Shapley (what the coordinator uses beyond 12 updates)
 * with its defaults and held to half of exact's evaluations, and GTG-Shapley with its defaults, each for several
 * sampler seeds, leave-one-out and example counts. Prints the per-round table, the summary against the goal (L1 ≤ 0.1
 * at ≤ 0.5× exact's cost), then one JSON line.
 *
 * `--values-out <file>` appends each round's coalition values (one JSON line per round); `--replay <file>` scores
 * such a file again without training or evaluating anything (seconds instead of a quarter of an hour).
 */
import { appendFileSync, readFileSync } from "node:fs";
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
import { type RecordedRound, type ScoredRound, scoreRecordedRound, scoreRound } from "./scoring-round.js";
import { roundLine, scoringSummary, scoringTable } from "./scoring-summary.js";

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
  "sampler-seeds": count.default(20),
  "values-out": z.string().min(1).optional(),
  replay: z.string().min(1).optional(),
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
      "sampler-seeds": { type: "string" },
      "values-out": { type: "string" },
      replay: { type: "string" },
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
    samplerSeeds: args["sampler-seeds"],
    valuesOut: args["values-out"],
    replay: args.replay,
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

const RecordedRoundSchema = z.strictObject({
  seed: z.number().int().min(0),
  round: z.number().int().positive(),
  n: z.number().int().min(2).max(MAX_EXACT_PLAYERS),
  exactMs: z.number().min(0),
  numExamples: z.array(z.number().int().positive()),
  values: z.array(z.number()),
});

/** The rounds a `--values-out` file recorded, one JSON line each. */
function readRecorded(file: string): RecordedRound[] {
  return readFileSync(file, "utf8")
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line, index) => {
      const round = RecordedRoundSchema.parse(JSON.parse(line));
      if (round.values.length !== 2 ** round.n || round.numExamples.length !== round.n) {
        throw new Error(
          `${file}:${index + 1}: ${round.values.length} values and ${round.numExamples.length} counts for n = ${round.n}`,
        );
      }
      return round;
    });
}

/** `--replay`: re-scores recorded rounds (no training, no model evaluation: seconds, not an hour). */
async function replay(file: string, samplerSeeds: number, started: number): Promise<void> {
  const rounds: ScoredRound[] = [];
  for (const recorded of readRecorded(file)) {
    const scored = await scoreRecordedRound(recorded, samplerSeeds);
    rounds.push(scored);
    process.stdout.write(`${roundLine(scored)}\n`);
  }
  process.stdout.write(
    `\n${rounds.length} rounds replayed from ${file} (coalition values and exact Shapley's measured time as recorded); sampler seeds 0–${samplerSeeds - 1}; ${new Date().toISOString()}\n\n`,
  );
  process.stdout.write(`${scoringTable(rounds)}\n`);
  const summary = {
    replayedFrom: file,
    clients: rounds[0]?.exact.scores.length ?? 0,
    samplerSeeds,
    ...scoringSummary(rounds),
    durationS: fixed((performance.now() - started) / 1000, 1),
  };
  process.stdout.write(`${JSON.stringify(summary)}\n`);
}

async function main(): Promise<void> {
  const started = performance.now();
  const options = parseOptions();
  if (options.replay !== undefined) {
    await replay(options.replay, options.samplerSeeds, started);
    return;
  }
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
          samplerSeeds: options.samplerSeeds,
        });
        rounds.push(scored);
        if (options.valuesOut !== undefined) {
          const line: RecordedRound = {
            seed,
            round: round + 1,
            n,
            exactMs: scored.exact.ms,
            numExamples: updates.numExamples,
            values: Array.from(scored.values),
          };
          appendFileSync(options.valuesOut, `${JSON.stringify(line)}\n`);
        }
        process.stdout.write(`${roundLine(scored)}\n`);
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
    `\nFashion-MNIST, ${n} owners, Dirichlet(${ALPHA}) over ${train.count} training records; MLP 784-200-200-10 (${parameters} parameters), ${options.warmupRounds} warm-up FedAvg rounds then ${options.rounds} scored rounds per seed, seeds 0–${options.seeds - 1}; 1 local epoch, lr ${TRAINING.learningRate}, batch ${TRAINING.batchSize}; validation: the first ${validationSet.count} test records, utility −loss; GTG- and Stratified-Shapley defaults, sampler seeds 0–${options.samplerSeeds - 1}; tfjs ${backend.name}${backend.simd ? " simd" : ""}; ${new Date().toISOString()}\n\n`,
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
    samplerSeeds: options.samplerSeeds,
    backend: { name: backend.name, simd: backend.simd, threads: backend.threads },
    roundTrainingMs: Math.round(trainingMs / Math.max(1, trainedRounds)),
    ...scoringSummary(rounds),
    durationS: fixed((performance.now() - started) / 1000, 1),
  };
  process.stdout.write(`${JSON.stringify(summary)}\n`);
}

await main();
