import type { Command } from "commander";
import { addChainOptions } from "../chain/command-options.js";
import { addKeyOption } from "../chain/wallet-options.js";
import { runDatasetDeactivate, runDatasetTransfer, runDatasetUpdate } from "./dataset-change.js";
import { runDatasetEnrol } from "./dataset-enrol.js";
import { addDatasetDirOptions } from "./dataset-options.js";
import { runDatasetBudget, runDatasetList, runDatasetShow } from "./dataset-view.js";
import { registerOceanPublish } from "./ocean.js";

type Run = (raw: Record<string, unknown>) => Promise<void>;

/** Commander passes positional arguments first: merge `ID`/`DIR` into the options under `name`. */
function withArgument(name: string, run: Run) {
  return (value: string, options: Record<string, unknown>) => run({ ...options, [name]: value });
}

const KEY = " of the dataset's owner";

/** `dataset NAME <id>`: a subcommand about one dataset. */
function aboutOne(dataset: Command, name: string, description: string): Command {
  return dataset.command(name).argument("<id>", "the dataset id on DatasetRegistry").description(description);
}

/** Adds the chain flags and the owner's key to `command`, which runs `run` with the positional `<id>`. */
function signedByOwner(command: Command, run: Run): void {
  addKeyOption(addChainOptions(command), "trainer", KEY).action(withArgument("id", run));
}

/**
 * Adds `dataset enrol|show|list|update|deactivate|transfer|budget|ocean-publish`: the data owner's DatasetRegistry
 * commands, and its dataset's publication on Ocean Protocol.
 */
export function registerDatasetCommand(program: Command): void {
  const dataset = program
    .command("dataset")
    .description("enrol and manage the owner's datasets on DatasetRegistry; check their privacy budget");

  const enrol = dataset
    .command("enrol")
    .argument("<dir>", "the directory holding the data (read where it lies; never uploaded)")
    .description(
      "compute the manifest of the data in DIR with the trainer's own loader, write it beside the data, register its commitment on DatasetRegistry, and print the `tributary trainer` command that serves it",
    )
    .requiredOption("--price-per-round <amount>", "price per training round, in TRIB (0 for free)")
    .requiredOption("--epsilon <e>", "the privacy budget ε the dataset may spend over all jobs")
    .requiredOption("--delta <d>", "the privacy budget δ (0 < δ < 1)")
    .option("--metadata-uri <uri>", "where the metadata lives (default: ipfs://<CID of the manifest file>)")
    .option("--coordinator <url>", "a coordinator to check has indexed the enrolment (named in the trainer command)")
    .option("--wait-seconds <s>", "how long to wait for --coordinator to index it", "120");
  addDatasetDirOptions(enrol);
  addKeyOption(addChainOptions(enrol), "trainer", KEY).action(withArgument("dir", runDatasetEnrol));

  const show = aboutOne(dataset, "show", "show a dataset as DatasetRegistry stores it");
  addChainOptions(show).action(withArgument("id", runDatasetShow));

  const list = dataset
    .command("list")
    .description("list the datasets of --owner, of the key's account, or (--all) everyone's newest")
    .option("--owner <address>", "whose datasets (default: the key's account)")
    .option("--all", "everyone's datasets, newest first", false)
    .option("--limit <n>", "at most this many", "50");
  addKeyOption(addChainOptions(list), "trainer", KEY).action((options: Record<string, unknown>) =>
    runDatasetList(options),
  );

  const update = aboutOne(
    dataset,
    "update",
    "change a dataset's manifest (--dir, after its files changed), metadata URI, price or budget",
  )
    .option("--dir <dir>", "recompute the manifest from the data in DIR (as `dataset enrol DIR`)")
    .option("--price-per-round <amount>", "new price per round, in TRIB")
    .option("--epsilon <e>", "new ε")
    .option("--delta <d>", "new δ")
    .option("--metadata-uri <uri>", "new metadata URI");
  addDatasetDirOptions(update);
  signedByOwner(update, runDatasetUpdate);
  signedByOwner(
    aboutOne(
      dataset,
      "deactivate",
      "deactivate a dataset for good: it joins no new job (its running jobs go on and still pay)",
    ),
    runDatasetDeactivate,
  );
  signedByOwner(
    aboutOne(
      dataset,
      "transfer",
      "transfer a dataset to another owner (whose key then runs its trainer and is paid)",
    ).requiredOption("--to <address>", "the new owner"),
    runDatasetTransfer,
  );

  const budget = aboutOne(
    dataset,
    "budget",
    "ε spent per job from the trainer's privacy ledger on disk, against the budget enrolled on chain (exit 1 when the trainer enforces or spent more)",
  ).option("--state-dir <dir>", "the trainer's --state-dir", ".tributary/trainer");
  addChainOptions(budget).action(withArgument("id", runDatasetBudget));

  registerOceanPublish(dataset);
}
