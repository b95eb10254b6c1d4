import type { OptimisticVerifier } from "@tributary/contracts/typed";
import { Uint256Schema } from "@tributary/protocol";
import type { Command } from "commander";
import type { Wallet } from "ethers";
import { z } from "zod";
import type { ChainSession } from "../chain/chain-session.js";
import type { Output } from "../chain/output.js";
import { RequestSource } from "./request-source.js";
import { TaskChecker } from "./task-checker.js";
import { loadVerificationModel } from "./verification-model.js";

/** The flags `challenger` and `committee vote` share, as zod shape. */
export const VerificationOptionsShape = {
  model: Uint256Schema,
  modelDir: z.string().min(1),
  requests: z
    .array(z.url({ message: "must be a URL serving GET /v1/requests/<hash>, e.g. http://127.0.0.1:8480" }))
    .optional(),
  coordinator: z.url({ message: "must be the coordinator's URL, e.g. http://127.0.0.1:8470" }).optional(),
  fromBlock: z.coerce.number().int().nonnegative().optional(),
  watch: z.boolean().default(false),
  intervalMs: z.coerce.number().int().min(100).max(3_600_000),
};
export type VerificationOptions = z.output<z.ZodObject<typeof VerificationOptionsShape>>;

const collect = (value: string, previous: string[] = []) => [...previous, value];

/** Adds the shared flags to `command` (a re-executor of `what`). */
export function addVerificationOptions(command: Command, what: string): Command {
  return command
    .requiredOption("--model <id>", "the model's id on ModelRegistry")
    .requiredOption(
      "--model-dir <dir>",
      "the model's weights (weights.f32 with job-spec.json or model-metadata.json, as `job model` or `model download` writes them), checked against ModelRegistry",
    )
    .option(
      "--coordinator <url>",
      "when --model-dir holds no weights, download them there first as a licence holder (`model download`)",
    )
    .option(
      "--requests <url>",
      "where tasks' requests are fetched (GET <url>/v1/requests/<hash>): the provider's or a buyer's; repeatable; default the model's registered endpoint",
      collect,
    )
    .option("--from-block <n>", `the first block whose ${what} are read (default: the deployment's start block)`)
    .option("--watch", `keep watching for new ${what} until stopped (Ctrl-C)`, false)
    .option("--interval-ms <ms>", "how often --watch reads the chain", "2000");
}

/** What a re-executor works with: the verifier (sending from its key), a checker and the first block to read. */
export interface Verification {
  readonly verifier: OptimisticVerifier;
  readonly checker: TaskChecker;
  readonly fromBlock: number;
}

/**
 * Opens a re-executor's session: the model's deterministic path from `--model-dir` (downloaded with `--coordinator`
 * when missing), its requests from `--requests` or else the model's registered endpoint, and where to start reading.
 */
export async function openVerification(
  out: Output,
  chain: ChainSession,
  options: VerificationOptions,
  wallet: Wallet,
): Promise<Verification> {
  const modelId = BigInt(options.model);
  const model = await loadVerificationModel(
    out,
    chain,
    modelId,
    options.modelDir,
    options.coordinator === undefined ? undefined : { coordinator: options.coordinator, wallet },
  );
  const registry = await chain.contract("ModelRegistry");
  const bases = options.requests ?? [(await registry.getModel(modelId)).endpoint];
  const { deployment } = await chain.deployment();
  return {
    verifier: await chain.contract("OptimisticVerifier", wallet),
    checker: new TaskChecker(model, new RequestSource(bases)),
    fromBlock: options.fromBlock ?? deployment.startBlock,
  };
}

/**
 * Runs `pass` once, or with `watch` again every `intervalMs` until `stop` resolves (the last pass finishes first);
 * returns every pass's results in order.
 */
export async function passes<T>(
  pass: () => Promise<T[]>,
  options: { readonly watch: boolean; readonly intervalMs: number; readonly stop: Promise<void> },
): Promise<T[]> {
  const all: T[] = [...(await pass())];
  if (!options.watch) return all;
  let stopped = false;
  void options.stop.then(() => {
    stopped = true;
  });
  while (!stopped) {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([options.stop, new Promise((resolve) => (timer = setTimeout(resolve, options.intervalMs)))]);
    clearTimeout(timer);
    if (!stopped) all.push(...(await pass()));
  }
  return all;
}
