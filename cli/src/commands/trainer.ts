import path from "node:path";
import { initTrainingBackend } from "@tributary/model-runtime";
import { serveMetrics } from "@tributary/observability";
import { type DatasetId, DatasetIdSchema, parseInput, SeededRandom } from "@tributary/protocol";
import {
  type AgentEvent,
  DatasetPrivacyGuard,
  EvaluationAllowance,
  loadDataset,
  subsetDataset,
  TrainerAgent,
  type TrainerAgentOptions,
  TrainerMetrics,
  UPDATE_METRICS,
} from "@tributary/trainer-agent";
import type { Command } from "commander";
import { z } from "zod";
import { addKeyOption, KeyOptionsShape, walletFor } from "../chain/wallet-options.js";
import { openEnclave, TeeOptionsShape, teeNeedsHelper } from "./enclave-option.js";
import { localDatasetSource } from "./local-dataset-source.js";
import { trainerAdmission } from "./trainer-admission.js";
import { type Budget, trainerBudget } from "./trainer-budget.js";

const positive = z.coerce.number().positive();

/** How long a stopping agent waits for the round in progress to be trained and its update delivered. */
const STOP_GRACE_MS = 120_000;

const TrainerOptionsSchema = z
  .strictObject({
    coordinator: z.url({ message: "must be the coordinator's URL, e.g. http://127.0.0.1:8470" }),
    datasetId: DatasetIdSchema,
    format: z.enum(["idx", "csv", "jsonl"]),
    data: z.string().min(1),
    labels: z.string().optional(),
    labelColumn: z.string().default("label"),
    evalData: z.string().optional(),
    evalLabels: z.string().optional(),
    evalFraction: z.coerce.number().gt(0).lt(1).default(0.1),
    numClasses: z.coerce.number().int().min(2).default(10),
    ...KeyOptionsShape,
    stateDir: z.string().default(".tributary/trainer"),
    budgetEpsilon: positive.optional(),
    budgetDelta: z.coerce.number().gt(0).lt(1).optional(),
    allowNonPrivate: z.boolean().default(false),
    microbatchSize: z.coerce.number().int().positive().default(8),
    trainingThreads: z.coerce.number().int().min(1).max(256).default(1),
    evaluations: z.coerce.number().int().nonnegative().optional(),
    metricPrecision: z.coerce.number().int().min(0).max(15).default(4),
    updateMetrics: z
      .string()
      .default("loss,accuracy")
      .transform((list) => (list === "none" ? [] : list.split(",").map((name) => name.trim())))
      .pipe(z.array(z.enum(UPDATE_METRICS))),
    rpc: z.url({ message: "must be the JSON-RPC URL of the chain, e.g. http://127.0.0.1:8545" }).optional(),
    deployment: z.string().optional(),
    paymentTokens: z.string().optional(),
    jsonEvents: z.boolean().default(false),
    metricsPort: z.coerce.number().int().min(0).max(65_535).optional(),
    metricsHost: z.string().min(1).default("127.0.0.1"),
    ...TeeOptionsShape,
  })
  .refine(...teeNeedsHelper);

/** What a harness plugs into the agent from outside (the demo's Byzantine trainers: an update transform). */
export type TrainerHooks = Pick<TrainerAgentOptions, "updateTransform">;

/** `tributary trainer`: the data owner's agent, next to the data. */
export async function runTrainer(raw: Record<string, unknown>, hooks: TrainerHooks = {}): Promise<void> {
  const options = parseInput(TrainerOptionsSchema, raw, "trainer options");
  const print = (event: AgentEvent | { type: string; [key: string]: unknown }) =>
    process.stdout.write(options.jsonEvents ? `${JSON.stringify(event)}\n` : `[trainer] ${describe(event)}\n`);
  const signer = await walletFor("trainer", options);
  // A real TEE that is not there stops the agent before anything else is read or opened.
  const enclave = await openEnclave(options, (line) => print({ type: "warning", line }));
  const { admission, enrolled, close } = await trainerAdmission(options);
  let budget: Budget;
  try {
    budget = trainerBudget(options.datasetId, { epsilon: options.budgetEpsilon, delta: options.budgetDelta }, enrolled);
  } catch (error) {
    close();
    throw error;
  }
  const backend = await initTrainingBackend({ log: (line) => print({ type: "backend", line }) });
  const loaded = await loadDataset(localDatasetSource(options, options.data, options.labels));
  let train = loaded.dataset;
  let evaluation = train;
  if (options.evalData !== undefined) {
    evaluation = (await loadDataset(localDatasetSource(options, options.evalData, options.evalLabels))).dataset;
  } else {
    const order = new SeededRandom(`${loaded.commitment}/holdout`).shuffle(
      Int32Array.from({ length: train.count }, (_, i) => i),
    );
    const cut = Math.max(1, Math.round(train.count * options.evalFraction));
    evaluation = subsetDataset(train, order.subarray(0, cut));
    train = subsetDataset(train, order.subarray(cut));
  }
  const privacy = await DatasetPrivacyGuard.open(path.resolve(options.stateDir), options.datasetId, {
    epsilon: budget.epsilon,
    delta: budget.delta,
    allowNonPrivate: options.allowNonPrivate,
    microbatchSize: options.microbatchSize,
  });
  const disclosure = await EvaluationAllowance.open(path.resolve(options.stateDir), options.datasetId, {
    evaluationsPerJob: options.evaluations,
    metricPrecision: options.metricPrecision,
    updateMetrics: options.updateMetrics,
  });
  const stateDir = path.resolve(options.stateDir);
  const metrics =
    options.metricsPort === undefined
      ? undefined
      : new TrainerMetrics(options.datasetId, async () => {
          const report = await DatasetPrivacyGuard.readReport(stateDir, options.datasetId);
          return report === undefined
            ? undefined
            : { spentEpsilon: report.spent.epsilon, budgetEpsilon: report.budget.epsilon };
        });
  const metricsServer =
    metrics === undefined
      ? undefined
      : await serveMetrics(metrics.registry, options.metricsHost, options.metricsPort as number);
  if (metricsServer !== undefined) print({ type: "metrics", url: metricsServer.url });
  const agent = new TrainerAgent({
    coordinatorUrl: options.coordinator,
    wallet: signer,
    datasetId: options.datasetId as DatasetId,
    train,
    evaluation,
    commitment: loaded.commitment,
    manifest: loaded.manifest,
    enclave,
    privacy,
    disclosure,
    admission,
    trainingThreads: options.trainingThreads,
    onEvent: (event) => {
      metrics?.observe(event);
      print(event);
    },
    ...hooks,
  });
  print({
    type: "ready",
    address: agent.address,
    backend: backend.name,
    records: train.count,
    heldOut: evaluation.count,
    budgetEpsilon: budget.epsilon,
    budgetDelta: budget.delta,
  });
  await agent.start();
  const stop = async () => {
    // The round in progress finishes (its update, whose ε is already charged, is sent); nothing new is started.
    print({ type: "stopping", graceSeconds: STOP_GRACE_MS / 1000 });
    const outcome = await agent.shutdown(STOP_GRACE_MS);
    print({ type: "stopped", outcome });
    close();
    await metricsServer?.close();
    process.exit(0);
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}

function describe(event: { type: string; [key: string]: unknown }): string {
  const { type, ...rest } = event;
  return `${type} ${Object.entries(rest)
    .map(([key, value]) => `${key}=${typeof value === "number" ? Number(value.toPrecision(4)) : String(value)}`)
    .join(" ")}`;
}

/** Adds `trainer` to `program`; a harness passes `hooks` to run the same agent with something plugged in. */
export function registerTrainerCommand(program: Command, hooks: TrainerHooks = {}): void {
  const trainer = program
    .command("trainer")
    .description("run a trainer agent next to a local dataset: it joins the coordinator's jobs and trains locally")
    .requiredOption("--coordinator <url>", "the coordinator's URL")
    .requiredOption("--dataset-id <id>", "the id the dataset was enrolled under")
    .requiredOption("--format <idx|csv|jsonl>", "format of the local data")
    .requiredOption("--data <file>", "training records (IDX images, CSV or JSONL)")
    .option("--labels <file>", "IDX labels file (with --format idx)")
    .option("--label-column <name>", "CSV label column", "label")
    .option("--eval-data <file>", "held-out records for evaluating global models")
    .option("--eval-labels <file>", "IDX labels of the held-out records")
    .option("--eval-fraction <f>", "hold out this fraction of --data when --eval-data is absent", "0.1")
    .option("--num-classes <n>", "number of classes", "10");
  addKeyOption(trainer, "trainer")
    .option("--state-dir <dir>", "where the privacy ledger is kept", ".tributary/trainer")
    .option(
      "--budget-epsilon <e>",
      "total ε this dataset may spend (default: with --rpc the ε it enrolled on DatasetRegistry, which a larger one may not exceed; else 10)",
    )
    .option("--budget-delta <d>", "the owner's δ (default: with --rpc the δ it enrolled; else 1e-5)")
    .option("--allow-non-private", "also train for jobs without differential privacy (ε = ∞)", false)
    .option("--microbatch-size <n>", "records per clipped microbatch in DP-SGD", "8")
    .option(
      "--training-threads <n>",
      "cores local training may use: on the WebAssembly backend each batch is split over this many threads",
      "1",
    )
    .option(
      "--evaluations <n>",
      "evaluations of coordinator-chosen models on the held-out records allowed per job (default: the job's rounds)",
    )
    .option("--metric-precision <digits>", "decimal places of every metric sent; 0 withholds metrics", "4")
    .option(
      "--update-metrics <list>",
      `metrics an update carries, comma-separated from ${UPDATE_METRICS.join(", ")}, or none`,
      "loss,accuracy",
    )
    .option("--rpc <url>", "JSON-RPC URL of the chain: each job's payment token and escrow are checked there")
    .option("--deployment <file>", "deployment file of the contracts (default: the package's for the RPC's chain)")
    .option("--payment-tokens <addresses>", "payment tokens the owner accepts, comma-separated (default: TRIB)")
    .option("--json-events", "print one JSON object per event", false)
    .option("--metrics-port <n>", "serve Prometheus metrics at http://HOST:PORT/metrics (0: any free port)")
    .option("--metrics-host <host>", "the address the metrics listen on", "127.0.0.1")
    .option(
      "--tee <kind>",
      "the TEE to attest from: simulated (development coordinators only), nitro, sgx (Gramine) or tdx",
      "simulated",
    )
    .option("--nsm-helper <path>", "with --tee nitro: the helper that asks the Nitro Secure Module for documents")
    .action((options: Record<string, unknown>) => runTrainer(options, hooks));
}
