import type { Command } from "commander";
import {
  addChainOptions,
  addCoordinatorOption,
  addIdAction,
  type CommandAction,
  type CommandContext,
} from "../chain/command-options.js";
import { addSpendOption } from "../chain/spend.js";
import { addKeyOption } from "../chain/wallet-options.js";
import { runJobCreate, runJobWatch } from "./job-create.js";
import { runCancel, runList, runModel, runReclaim, runShow } from "./job-manage.js";
import { registerValidationSetCommand } from "./job-validation-set.js";

/** `--rpc`, `--deployment`, `--json` and `--coordinator` on a `job` subcommand. */
function jobCommand(parent: Command, name: string, description: string): Command {
  return addCoordinatorOption(addChainOptions(parent.command(name).description(description)), "the job");
}

/** A subcommand whose only argument is the job id, run by `action`. */
function byId(command: Command, context: CommandContext, action: CommandAction): Command {
  return addIdAction(command, "the job id on TrainingJobs", context, action);
}

/**
 * `tributary job create|watch|show|list|cancel|reclaim|model`: the researcher's commands. Each takes the chain from
 * `--rpc` and the contracts from the user's deployment file, keys from `--keystore` or TRIBUTARY_RESEARCHER_KEY.
 */
export function registerJobCommand(program: Command, context: CommandContext = {}): void {
  const job = program
    .command("job")
    .description(
      "a researcher's training jobs: create and escrow, watch, show, list, cancel, reclaim, download the model",
    );

  registerValidationSetCommand(job);

  addSpendOption(
    addKeyOption(
      jobCommand(
        job,
        "create",
        "check a JobSpec, upload it and the validation set, escrow the reward on TrainingJobs and wait for the coordinator to adopt the job",
      ),
      "researcher",
    ),
  )
    .argument("<spec>", "the JobSpec, a JSON file (datasetIds and rounds may come from the flags)")
    .option(
      "--validation-set <file>",
      "held-out set for contribution scoring (encodeValidationSet format); without a scoring in the spec, GTG-Shapley on it",
    )
    .option(
      "--root-dataset <file>",
      "FLTrust's root dataset (same format, ~100 clean examples, not the validation set): fills strategy.rootDatasetCid of an fltrust spec",
    )
    .requiredOption("--reward <amount>", "tokens to escrow, e.g. 1000 or 12.5")
    .option("--token <TRIB|address>", "the payment token: TRIB (the deployment's) or an ERC-20 address", "TRIB")
    .option("--datasets <ids>", "comma-separated dataset ids on DatasetRegistry (replace the spec's)")
    .option("--rounds <n>", "federated rounds (replaces the spec's)")
    .option(
      "--auditors <addresses>",
      "comma-separated accounts that may read the job's updates, models and spec to audit it (replace the spec's)",
    )
    .option(
      "--coordinator-address <address>",
      "the coordinator account the job names (default: the one the coordinator's /health states)",
    )
    .option("--adoption-timeout <seconds>", "how long to wait for the coordinator to adopt the job", "120")
    .action((spec: string, options: Record<string, unknown>) => runJobCreate({ ...options, spec }, context));

  byId(
    jobCommand(
      job,
      "watch",
      "live rounds (trainers done, loss, accuracy, ε, anchors) until the job ends: exit 0 completed, 1 failed or cancelled",
    ),
    context,
    runJobWatch,
  )
    .option("--poll <seconds>", "seconds between polls", "1")
    .option("--finalize-timeout <seconds>", "how long to wait for a completed job's finalizeJob on chain", "600");

  byId(jobCommand(job, "show", "a job as TrainingJobs records it and as its coordinator runs it"), context, runShow);

  addKeyOption(
    jobCommand(job, "list", "the jobs a researcher created on TrainingJobs (the key's, --researcher's, or --all)"),
    "researcher",
  )
    .option("--researcher <address>", "whose jobs to list (default: the key's address)")
    .option("--all", "every job on TrainingJobs", false)
    .action((options: Record<string, unknown>) => runList(options, context));

  byId(
    addKeyOption(
      jobCommand(
        job,
        "cancel",
        "refund the whole escrow of a job its coordinator has not accepted, or of one gone stale",
      ),
      "researcher",
    ),
    context,
    runCancel,
  );

  byId(
    addKeyOption(
      jobCommand(job, "reclaim", "take back the escrow a finalised job's payouts and fee do not use"),
      "researcher",
    ),
    context,
    runReclaim,
  );

  byId(
    addKeyOption(
      jobCommand(
        job,
        "model",
        "download the final model, check its hash against the chain, write it as a tfjs layers model plus the raw flat weights",
      ),
      "researcher",
    ),
    context,
    runModel,
  )
    .requiredOption("--out <dir>", "directory to write model.json, weights.bin, weights.f32 and job-spec.json to")
    .option(
      "--last",
      "the last round's model (the one ModelRegistry lists and providers serve) instead of the one the job returns (the best on its validation set)",
    );
}
