/**
 * `npm run bench:drift`: the experiment behind issue 20's "why the final round loses points", cheap enough to run
 * here. FedAvg in one process (no coordinator, no sockets: the same local training, FedAvg and evaluation code the
 * stack runs) on Fashion-MNIST split among 10 owners exactly as bench:federated splits it (Dirichlet(0.5), seed
 * "demo-train", at least 512 records each), the MLP 784-200-200-10, 1 local epoch, batch 32. For each learning-rate
 * setting (`--runs`, e.g. `constant:0.05,cosine:0.05,constant:0.15`; the first is the baseline of the same run) it
 * prints the test accuracy (all 10,000 test records) of the global model after every round, the largest drop from one
 * round to the next, the last model's accuracy and the best one's, then one JSON line.
 */
import { parseArgs } from "node:util";
import { fedAvg } from "@tributary/aggregation";
import { buildModel, evaluate, getFlatWeights, initTrainingBackend, setFlatWeights } from "@tributary/model-runtime";
import { MLP_784_200_200_10, roundLearningRate } from "@tributary/protocol";
import {
  FASHION_MNIST_DIR,
  loadMnistIdx,
  partitionDirichlet,
  subsetDataset,
  trainLocal,
} from "@tributary/trainer-agent";
import { z } from "zod";

const RunSchema = z
  .string()
  .regex(/^(constant|cosine):[0-9.]+$/, "must be SCHEDULE:LR, e.g. cosine:0.05")
  .transform((text) => {
    const [schedule, rate] = text.split(":") as ["constant" | "cosine", string];
    return { schedule, learningRate: Number(rate) };
  });
const ArgsSchema = z.strictObject({
  rounds: z.coerce.number().int().min(2).max(200).default(20),
  runs: z
    .string()
    .default("constant:0.05,cosine:0.05")
    .transform((text) => text.split(","))
    .pipe(z.array(RunSchema).min(1)),
});

async function main(): Promise<void> {
  const started = performance.now();
  const { values } = parseArgs({ options: { rounds: { type: "string" }, runs: { type: "string" } } });
  const args = ArgsSchema.parse(values);
  const backend = await initTrainingBackend();
  const train = (await loadMnistIdx(FASHION_MNIST_DIR, "train")).dataset;
  const test = (await loadMnistIdx(FASHION_MNIST_DIR, "test")).dataset;
  const parts = partitionDirichlet(train.labels, 10, 10, { alpha: 0.5, seed: "demo-train", minRecordsPerClient: 512 });
  const owners = parts.map((indices) => subsetDataset(train, indices));
  const results = [];
  for (const run of args.runs) {
    const schedule = run.schedule === "cosine" ? ({ kind: "cosine", finalFraction: 0.1 } as const) : undefined;
    const model = buildModel(MLP_784_200_200_10, { seed: 1 });
    let global = getFlatWeights(model);
    const accuracy: number[] = [];
    for (let round = 0; round < args.rounds; round++) {
      const learningRate = roundLearningRate(run.learningRate, schedule, round, args.rounds);
      const updates = [];
      for (const [owner, dataset] of owners.entries()) {
        setFlatWeights(model, global);
        const trained = await trainLocal({
          model,
          dataset,
          epochs: 1,
          batchSize: 32,
          learningRate,
          seed: `x/${round}/${owner}`,
        });
        const delta = new Float32Array(global.length);
        for (let i = 0; i < delta.length; i++) delta[i] = (trained.weights[i] as number) - (global[i] as number);
        updates.push({ weights: delta, numExamples: trained.numExamples });
      }
      const average = fedAvg(updates);
      global = global.map((value, i) => value + (average[i] as number));
      setFlatWeights(model, global);
      accuracy.push(evaluate(model, test).accuracy);
      process.stdout.write(
        `${run.schedule}:${run.learningRate} round ${round + 1}: lr ${learningRate.toFixed(4)}, test accuracy ${((accuracy.at(-1) as number) * 100).toFixed(2)} %\n`,
      );
    }
    model.dispose();
    const drops = accuracy.slice(1).map((value, r) => (accuracy[r] as number) - value);
    results.push({
      run: `${run.schedule}:${run.learningRate}`,
      accuracy: accuracy.map((value) => Number(value.toFixed(4))),
      largestDropPoints: Number((Math.max(0, ...drops) * 100).toFixed(2)),
      meanAbsoluteChangeLast5Points: Number(
        ((drops.slice(-5).reduce((sum, drop) => sum + Math.abs(drop), 0) / Math.min(5, drops.length)) * 100).toFixed(2),
      ),
      last: accuracy.at(-1) as number,
      best: Math.max(...accuracy),
    });
  }
  const percent = (value: number) => (value * 100).toFixed(2);
  process.stdout.write(
    `\nFashion-MNIST, 10 owners, Dirichlet(0.5) (bench:federated's split), MLP, 1 local epoch, batch 32, ${args.rounds} rounds; tfjs ${backend.name}; ${new Date().toISOString()}\n`,
  );
  process.stdout.write(
    "| run | largest one-round drop (points) | mean |change| over the last 5 rounds | last % | best % |\n",
  );
  process.stdout.write("|---|---:|---:|---:|---:|\n");
  for (const result of results) {
    process.stdout.write(
      `| ${result.run}${result === results[0] ? " (baseline)" : ""} | ${result.largestDropPoints.toFixed(2)} | ${result.meanAbsoluteChangeLast5Points.toFixed(2)} | ${percent(result.last)} | ${percent(result.best)} |\n`,
    );
  }
  const durationS = Number(((performance.now() - started) / 1000).toFixed(1));
  process.stdout.write(`${JSON.stringify({ bench: "drift", rounds: args.rounds, results, durationS })}\n`);
}

await main();
