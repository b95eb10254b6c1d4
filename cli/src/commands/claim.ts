import { ClaimRefusedError, claimPayout, connectRpc } from "@tributary/auditor";
import { AddressSchema, JobIdSchema, parseInput, TributaryError } from "@tributary/protocol";
import type { Command } from "commander";
import { formatUnits } from "ethers";
import { z } from "zod";
import { addCoordinatorOption, type CommandContext, CoordinatorOptionsShape } from "../chain/command-options.js";
import { addKeyOption, KeyOptionsShape, walletFor } from "../chain/wallet-options.js";
import { runClaimAll } from "./claim-all.js";
import { runClaimRevenue } from "./claim-revenue.js";
import { EXIT, exitWithUsageCode, reportUsageError } from "./exit-codes.js";
import { resolveTrainingJobs } from "./training-jobs-address.js";

const ClaimOptionsSchema = z.strictObject({
  job: JobIdSchema,
  rpc: z.url({ message: "must be the JSON-RPC URL of the job's chain, e.g. http://127.0.0.1:8545" }),
  ...CoordinatorOptionsShape,
  trainingJobs: AddressSchema.optional(),
  deployment: z.string().min(1).optional(),
  ...KeyOptionsShape,
  json: z.boolean().default(false),
});

/**
 * `tributary claim`: the trainer's payout from a finalised job (`--job`), or from every one (`--all`, see
 * `runClaimAll`, which also claims its share of every model of those jobs), or its share of one model's licence
 * revenue (`--revenue --model`, see `runClaimRevenue`); exit 0 paid, 1 refused, 2 usage/connection.
 */
export async function runClaim(raw: Record<string, unknown>, context: CommandContext = {}): Promise<void> {
  if (raw.revenue === true) return runClaimRevenue(raw, context);
  if (raw.all === true) return runClaimAll(raw, context);
  const json = raw.json === true;
  try {
    const { all: _all, revenue: _revenue, ...rest } = raw;
    if (rest.model !== undefined) throw new TributaryError("INVALID_INPUT", "--model goes with --revenue");
    if (rest.job === undefined)
      throw new TributaryError("INVALID_INPUT", "give --job ID, or --all for every finalised job");
    const options = parseInput(ClaimOptionsSchema, rest, "claim options");
    const wallet = await walletFor("trainer", options);
    const provider = await connectRpc(options.rpc);
    try {
      const { chainId } = await provider.getNetwork();
      // The contract the claim is sent to comes from the user only, never from the coordinator.
      const trainingJobs = await resolveTrainingJobs({
        option: options.trainingJobs,
        deployment: options.deployment,
        chainId,
        deploymentsDir: context.deploymentsDir,
      });
      const trainer = wallet.address.toLowerCase();
      try {
        const { amount, txHash } = await claimPayout({
          coordinatorUrl: options.coordinator,
          jobId: options.job,
          signer: wallet.connect(provider),
          trainingJobs: trainingJobs.address,
        });
        process.stdout.write(
          json
            ? `${JSON.stringify({ ok: true, jobId: options.job, trainer, amount: String(amount), txHash, trainingJobs: trainingJobs.address })}\n`
            : `claimed ${formatUnits(amount, 18)} tokens (${amount} base units) from job ${options.job} for ${trainer}: transaction ${txHash}\n`,
        );
        process.exitCode = EXIT.ok;
      } catch (error) {
        if (!(error instanceof ClaimRefusedError)) throw error;
        process.stderr.write(`tributary: claim refused: ${error.message}\n`);
        if (json) {
          process.stdout.write(
            `${JSON.stringify({ ok: false, jobId: options.job, trainer, reason: error.reason, message: error.message })}\n`,
          );
        }
        process.exitCode = EXIT.finding;
      }
    } finally {
      provider.destroy();
    }
  } catch (error) {
    reportUsageError(error, json);
  }
}

export function registerClaimCommand(program: Command, context: CommandContext = {}): void {
  const claim = program
    .command("claim")
    .description(
      "claim this trainer's payout from a finalised job (--job), or its share of a model's licence revenue (--revenue --model), or both from every finalised job that trained on its datasets and their models (--all), after checking the coordinator's proof against the chain (exit 0 paid or skipped, 1 refused, 2 usage/connection errors)",
    )
    .option("--job <id>", "the job id on TrainingJobs")
    .option(
      "--all",
      "every finalised job that trained on a dataset this key held (from the deployment's events)",
      false,
    )
    .option("--revenue", "claim a share of a registered model's licence revenue (with --model)", false)
    .option("--model <id>", "with --revenue: the model on ModelRegistry, whose job's payout proof sets the share")
    .option("--from-block <n>", "with --all: scan events from this block (default: the deployment's start block)")
    .requiredOption("--rpc <url>", "JSON-RPC URL of the job's chain");
  addKeyOption(addCoordinatorOption(claim, "the payout proofs"), "trainer")
    .option("--training-jobs <address>", "TrainingJobs address (default: from the deployment file)")
    .option(
      "--deployment <file>",
      "deployment file to take TrainingJobs from (default: contracts/deployments/<chainId>.json)",
    )
    .option("--json", "print the result as one JSON line", false)
    .exitOverride(exitWithUsageCode)
    .action((options: Record<string, unknown>) => runClaim(options, context));
}
