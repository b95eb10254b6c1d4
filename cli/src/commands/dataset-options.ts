import type { Command } from "commander";
import { z } from "zod";
import type { ChainSession } from "../chain/chain-session.js";
import { type TokenInfo, tokenInfo } from "../chain/spend.js";

/** `--format`, `--data`, `--labels`, `--label-column`, `--num-classes` (zod shape): how a dataset directory is read. */
export const DatasetReadShape = {
  format: z.enum(["idx", "csv", "jsonl"]).optional(),
  data: z.string().min(1).optional(),
  labels: z.string().min(1).optional(),
  labelColumn: z.string().min(1).default("label"),
  numClasses: z.coerce.number().int().min(2).max(65_536).default(10),
};

/** `DatasetReadShape` and `--manifest-out`: an owner's dataset directory, whose manifest is written. */
export const DatasetDirShape = { ...DatasetReadShape, manifestOut: z.string().min(1).optional() };

/** Adds the flags of `DatasetReadShape`: the same names and meaning as `tributary trainer`'s. */
export function addDatasetReadOptions(command: Command): Command {
  return command
    .option("--format <idx|csv|jsonl>", "format of the data (default: the one format the directory's files have)")
    .option("--data <file>", "the records, in DIR or a path (default: found by name in DIR)")
    .option("--labels <file>", "IDX labels of --data")
    .option("--label-column <name>", "CSV label column", "label")
    .option("--num-classes <n>", "number of classes (as `tributary trainer --num-classes`)", "10");
}

/** Adds the flags of `DatasetDirShape`. */
export function addDatasetDirOptions(command: Command): Command {
  return addDatasetReadOptions(command).option(
    "--manifest-out <file>",
    "where to write the manifest (default: DIR/tributary-manifest.json)",
  );
}

/**
 * The token a dataset's price is stated in: the deployment's TributaryToken (TRIB), the payment token every job
 * pays in by default. A job in another token pays the same number of that token's base units.
 */
export async function priceToken(chain: ChainSession): Promise<TokenInfo> {
  return tokenInfo(await chain.address("TributaryToken"), chain.provider);
}
