import { AddressSchema, DatasetIdSchema, parseInput, TributaryError } from "@tributary/protocol";
import { z } from "zod";
import { withChain } from "../chain/chain-session.js";
import { ChainOptionsShape, type CommandContext } from "../chain/command-options.js";
import { RefusedError, runCommand } from "../chain/run-command.js";
import { formatToken, type TokenInfo } from "../chain/spend.js";
import { KeyOptionsShape, optionalWalletFor } from "../chain/wallet-options.js";
import { datasetBudget } from "../dataset/dataset-budget.js";
import { type DatasetRecord, datasetsOwnedBy, listDatasets, readDataset } from "../dataset/dataset-records.js";
import { priceToken } from "./dataset-options.js";

const ShowOptionsSchema = z.strictObject({ ...ChainOptionsShape, id: DatasetIdSchema });
const ListOptionsSchema = z.strictObject({
  ...ChainOptionsShape,
  ...KeyOptionsShape,
  owner: AddressSchema.optional(),
  all: z.boolean().default(false),
  limit: z.coerce.number().int().positive().max(10_000).default(50),
});
const BudgetOptionsSchema = z.strictObject({
  ...ChainOptionsShape,
  id: DatasetIdSchema,
  stateDir: z.string().min(1).default(".tributary/trainer"),
});

/** A dataset as table rows for people. */
export function datasetRows(dataset: DatasetRecord, token: TokenInfo): string[][] {
  return [
    ["id", dataset.id],
    ["owner", dataset.owner],
    ["active", dataset.active ? "yes" : "no (deactivated for good)"],
    ["commitment", dataset.commitment],
    ["metadata", dataset.metadataURI],
    ["price per round", formatToken(dataset.pricePerRound, token)],
    ["privacy budget", `ε ${dataset.epsilon}, δ ${dataset.delta}`],
  ];
}

/** `dataset show ID`: the dataset as DatasetRegistry stores it (no key needed). */
export function runDatasetShow(raw: Record<string, unknown>, context: CommandContext = {}): Promise<void> {
  return runCommand(raw, async (out) => {
    const options = parseInput(ShowOptionsSchema, raw, "dataset show options");
    await withChain(options, context, async (chain) => {
      const dataset = await readDataset(await chain.contract("DatasetRegistry"), options.id);
      const token = await priceToken(chain);
      out.table(datasetRows(dataset, token));
      out.done({ chainId: chain.chainId, dataset, priceToken: token });
    });
  });
}

/**
 * `dataset list`: the datasets of `--owner`, else of the key's own account (TRIBUTARY_TRAINER_KEY/--keystore), or
 * with `--all` the newest `--limit` of everyone's.
 */
export function runDatasetList(raw: Record<string, unknown>, context: CommandContext = {}): Promise<void> {
  return runCommand(raw, async (out) => {
    const options = parseInput(ListOptionsSchema, raw, "dataset list options");
    if (options.all && options.owner !== undefined) {
      throw new TributaryError("INVALID_INPUT", "give --owner ADDRESS or --all, not both");
    }
    const owner = options.all
      ? undefined
      : (options.owner ?? (await optionalWalletFor("trainer", options, out))?.address.toLowerCase());
    if (!options.all && owner === undefined) {
      throw new TributaryError(
        "INVALID_INPUT",
        "whose datasets? give --owner ADDRESS, --all, or the owner's key (--keystore FILE or TRIBUTARY_TRAINER_KEY)",
      );
    }
    await withChain(options, context, async (chain) => {
      const registry = await chain.contract("DatasetRegistry");
      const { startBlock } = (await chain.deployment()).deployment;
      const datasets =
        owner === undefined
          ? await listDatasets(registry, options.limit)
          : (await datasetsOwnedBy(registry, owner, startBlock)).slice(0, options.limit);
      const token = await priceToken(chain);
      out.say(
        `${datasets.length} dataset(s)${owner === undefined ? "" : ` owned by ${owner}`} on chain ${chain.chainId}`,
      );
      if (datasets.length > 0) {
        out.table([
          ["id", "owner", "active", "price/round", "ε", "δ", "metadata"],
          ...datasets.map((d) => [
            d.id,
            d.owner,
            d.active ? "yes" : "no",
            formatToken(d.pricePerRound, token),
            String(d.epsilon),
            String(d.delta),
            d.metadataURI,
          ]),
        ]);
      }
      out.done({ chainId: chain.chainId, owner: owner ?? null, datasets, priceToken: token });
    });
  });
}

/**
 * `dataset budget ID`: ε spent per job, from the privacy ledger the trainer agent keeps in `--state-dir`, against
 * the budget enrolled on chain. Exit 1 when the agent enforces more than was enrolled, or spent more.
 */
export function runDatasetBudget(raw: Record<string, unknown>, context: CommandContext = {}): Promise<void> {
  return runCommand(raw, async (out) => {
    const options = parseInput(BudgetOptionsSchema, raw, "dataset budget options");
    await withChain(options, context, async (chain) => {
      const report = await datasetBudget(await chain.contract("DatasetRegistry"), options.id, options.stateDir);
      out.say(`dataset ${options.id}: enrolled budget ε ${report.enrolled.epsilon}, δ ${report.enrolled.delta}`);
      if (report.enforced === null) {
        out.say(`no privacy ledger at ${report.ledgerFile}: the trainer has charged nothing from this state directory`);
      } else {
        out.say(
          `the trainer's ledger ${report.ledgerFile} enforces ε ${report.enforced.epsilon}, δ ${report.enforced.delta}`,
        );
        out.table([
          // A label is a job id, or c2d:<algorithm> for the compute-to-data node's runs on the same ledger.
          ["job (or c2d:algorithm)", "charges", "ε (alone)"],
          ...report.byJob.map((job) => [job.label, String(job.spends), job.epsilon.toFixed(4)]),
          ["all", "", report.spent.toFixed(4)],
        ]);
        out.say(`remaining of the enrolled budget: ε ${report.remaining.toFixed(4)}`);
      }
      if (report.findings.length > 0) {
        throw new RefusedError("PRIVACY_BUDGET_FINDING", report.findings.join("; "), { ...report });
      }
      out.done({ chainId: chain.chainId, ...report });
    });
  });
}
