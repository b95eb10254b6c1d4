import path from "node:path";
import { allowlist, startC2dService } from "@tributary/compute-to-data";
import { initTrainingBackend } from "@tributary/model-runtime";
import { type Address, AddressSchema, type DatasetId, DatasetIdSchema, parseInput } from "@tributary/protocol";
import { DatasetPrivacyGuard, loadDataset, loadEnrolledDataset } from "@tributary/trainer-agent";
import { z } from "zod";
import { readEnrolledDataset } from "../c2d/enrolled-dataset.js";
import type { CommandContext } from "../chain/command-options.js";
import { runCommand } from "../chain/run-command.js";
import { openEnclave, TeeOptionsShape, teeNeedsHelper } from "./enclave-option.js";
import { localDatasetSource } from "./local-dataset-source.js";
import { signalled } from "./signalled.js";
import { trainerBudget } from "./trainer-budget.js";

/** A serve command's context: where deployments live, and (tests) what ends it instead of a signal. */
export interface C2dCommandContext extends CommandContext {
  readonly stop?: Promise<void>;
  /** Told the node's URL once it listens (tests). */
  readonly onListening?: (url: string) => void;
}

const ResearchersSchema = z
  .string()
  .min(1)
  .transform((list, ctx): "any" | Address[] => {
    if (list.trim() === "any") return "any";
    return list.split(",").map((entry, index) => {
      const parsed = AddressSchema.safeParse(entry.trim());
      if (parsed.success) return parsed.data;
      ctx.addIssue({ code: "custom", message: `entry ${index} (${entry}) is not an address`, path: [index] });
      return z.NEVER;
    });
  });

const ServeOptionsSchema = z
  .strictObject({
    datasetId: DatasetIdSchema,
    format: z.enum(["idx", "csv", "jsonl"]),
    data: z.string().min(1),
    labels: z.string().optional(),
    labelColumn: z.string().default("label"),
    numClasses: z.coerce.number().int().min(2).default(10),
    allow: z.string().min(1),
    researchers: ResearchersSchema,
    stateDir: z.string().default(".tributary/trainer"),
    budgetEpsilon: z.coerce.number().positive().optional(),
    budgetDelta: z.coerce.number().gt(0).lt(1).optional(),
    microbatchSize: z.coerce.number().int().positive().default(8),
    minRecordsPerCell: z.coerce.number().int().positive().default(20),
    maxEpsilonPerRun: z.coerce.number().positive().default(1),
    maxRequestTtl: z.coerce.number().int().positive().max(86_400).default(3600),
    rpc: z.url().optional(),
    deployment: z.string().min(1).optional(),
    host: z.string().min(1).default("127.0.0.1"),
    port: z.coerce.number().int().min(0).max(65_535).default(8495),
    json: z.boolean().default(false),
    ...TeeOptionsShape,
  })
  .refine(...teeNeedsHelper);

/**
 * `tributary c2d serve`: the data owner's compute-to-data node next to the data, charging the same privacy ledger
 * (`--state-dir`) as the owner's trainer, until Ctrl-C.
 */
export function runC2dServe(raw: Record<string, unknown>, context: C2dCommandContext): Promise<void> {
  return runCommand(raw, async (out) => {
    const options = parseInput(ServeOptionsSchema, raw, "c2d serve options");
    const allowed = allowlist(options.allow.split(","));
    // A real TEE that is not there stops the node before anything is read.
    const enclave = await openEnclave(options, (line) => process.stderr.write(`[c2d] WARNING: ${line}\n`));
    const source = localDatasetSource(options, options.data, options.labels);
    const enrolled =
      options.rpc === undefined ? undefined : await readEnrolledDataset({ ...options, rpc: options.rpc }, context);
    const budget = trainerBudget(
      options.datasetId,
      { epsilon: options.budgetEpsilon, delta: options.budgetDelta },
      enrolled,
    );
    const loaded =
      enrolled === undefined ? await loadDataset(source) : await loadEnrolledDataset(source, enrolled.commitment);
    const guard = await DatasetPrivacyGuard.open(path.resolve(options.stateDir), options.datasetId, {
      epsilon: budget.epsilon,
      delta: budget.delta,
      microbatchSize: options.microbatchSize,
    });
    if (allowed.some(({ algorithm }) => algorithm.name === "tributary-train-step")) {
      await initTrainingBackend({ log: (line) => out.say(`[c2d] ${line}`) });
    }
    const service = await startC2dService({
      datasetId: options.datasetId as DatasetId,
      commitment: loaded.commitment,
      dataset: loaded.dataset,
      guard,
      enclave,
      allowed,
      researchers: options.researchers,
      policy: {
        minRecordsPerCell: options.minRecordsPerCell,
        maxEpsilonPerRun: options.maxEpsilonPerRun,
        maxRequestTtlS: options.maxRequestTtl,
      },
      stateDir: options.stateDir,
      host: options.host,
      port: options.port,
    });
    const spent = guard.spent();
    out.say(
      `compute-to-data node for dataset ${options.datasetId} (${loaded.dataset.count} records, commitment ${loaded.commitment}) at ${service.url}; OpenAPI at ${service.url}/openapi.json; stop with Ctrl-C`,
    );
    out.table([
      ["algorithm", "version", "hash"],
      ...allowed.map(({ algorithm, hash }) => [algorithm.name, algorithm.version, hash]),
    ]);
    out.say(
      `researchers: ${options.researchers === "any" ? "any signed requester" : options.researchers.join(", ")}; ε spent ${spent.epsilon.toFixed(4)} of ${budget.epsilon} (δ ${budget.delta}); TEE ${enclave.simulated ? "SIMULATED (no hardware guarantee)" : enclave.kind}`,
    );
    context.onListening?.(service.url);
    await (context.stop ?? signalled());
    out.say("stopping: answering the run in progress");
    await service.close();
    out.done({ action: "c2d serve", url: service.url, datasetId: options.datasetId });
  });
}
