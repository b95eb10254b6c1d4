import path from "node:path";
import { parseInput } from "@tributary/protocol";
import { type Dataset, partitionIid, subsetDataset, writeIdxShards } from "@tributary/trainer-agent";
import type { Command } from "commander";
import { z } from "zod";
import { runCommand } from "../chain/run-command.js";
import { type DemoDataset, loadDemoDataset } from "../demo/demo-dataset.js";
import { validationRecords } from "../demo/demo-validation-set.js";
import { exitWithUsageCode } from "./exit-codes.js";

const ShareSchema = z
  .string()
  .regex(/^[0-9]+\/[0-9]+$/, "must be K/N, e.g. 2/3: the K-th of N owners")
  .transform((text) => {
    const [k, n] = text.split("/").map(Number) as [number, number];
    return { k, n };
  })
  .refine(({ k, n }) => n >= 1 && n <= 64 && k >= 1 && k <= n, "K/N needs 1 ≤ K ≤ N ≤ 64");

const SampleDataOptionsSchema = z
  .strictObject({
    out: z.string().min(1),
    owner: ShareSchema.optional(),
    researcher: z.boolean().default(false),
    dataset: z.string().min(1).default("mnist"),
    json: z.boolean().default(false),
  })
  .refine((options) => (options.owner === undefined) !== !options.researcher, {
    message: "give exactly one of --owner K/N and --researcher",
    path: ["owner"],
  });

const range = (from: number, to: number) => Int32Array.from({ length: to - from }, (_, i) => from + i);

/** Writes `records` as one IDX pair `<prefix>-0-images-idx…`/`<prefix>-0-labels-idx1-…` in `dir`. */
async function writePair(records: Dataset, dir: string, prefix: string) {
  const [files] = await writeIdxShards(records, [range(0, records.count)], dir, { prefix });
  return {
    count: records.count,
    images: path.basename(files?.images ?? ""),
    labels: path.basename(files?.labels ?? ""),
  };
}

/** Owner K of N's IID share of the training records, and of the held-out records the researcher does not keep. */
async function writeOwnerShare(
  data: DemoDataset,
  held: number,
  share: { readonly k: number; readonly n: number },
  dir: string,
) {
  const train = partitionIid(data.train.count, share.n, "demo-train")[share.k - 1] as Int32Array;
  const rest = subsetDataset(data.test, range(held, data.test.count));
  const test = partitionIid(rest.count, share.n, "demo-test")[share.k - 1] as Int32Array;
  return [
    await writePair(subsetDataset(data.train, train), dir, "train"),
    await writePair(subsetDataset(rest, test), dir, "t10k"),
  ];
}

/**
 * `tributary sample-data --out DIR --owner K/N | --researcher`: real labelled data to try a network with, split the
 * way `tributary up` splits it. Owner K of N gets the K-th IID share of the training records (`train-0-…`) and of
 * the held-out records no researcher keeps (`t10k-0-…`, which `dataset enrol` finds as the trainer's held-out data);
 * the researcher gets the first held-out records (up to 1,000), which no owner holds (`heldout-0-…`), to score
 * contributions on.
 */
function runSampleData(raw: Record<string, unknown>): Promise<void> {
  return runCommand(raw, async (out) => {
    const options = parseInput(SampleDataOptionsSchema, raw, "sample-data options");
    const data = await loadDemoDataset(options.dataset);
    const dir = path.resolve(options.out);
    const held = validationRecords(data.test.count);
    const written =
      options.owner === undefined
        ? [await writePair(subsetDataset(data.test, range(0, held)), dir, "heldout")]
        : await writeOwnerShare(data, held, options.owner, dir);
    const whose =
      options.owner === undefined
        ? "the researcher's held-out records"
        : `owner ${options.owner.k} of ${options.owner.n}'s share`;
    out.done({ action: "sample-data", dataset: data.name, dir, files: written }, [
      `wrote ${dir}: ${whose} of ${data.name}`,
      ...written.map((pair) => `  ${pair.count} records: ${pair.images}, ${pair.labels}`),
    ]);
  });
}

/** Adds `sample-data`: real labelled data (MNIST digits shipped with the CLI) split among owners and a researcher. */
export function registerSampleDataCommand(program: Command): void {
  program
    .command("sample-data")
    .description("write an owner's share (or the researcher's held-out part) of real labelled data, to try a network")
    .requiredOption("--out <dir>", "directory to write the IDX files to")
    .option("--owner <K/N>", "the K-th of N data owners' share: training records and held-out records")
    .option("--researcher", "the researcher's held-out records, which no owner holds", false)
    .option(
      "--dataset <mnist|fashion-mnist|DIR>",
      "mnist (10,000 digits shipped with the CLI), fashion-mnist (Debian package) or a directory of IDX files",
      "mnist",
    )
    .option("--json", "print the result as one JSON line", false)
    .exitOverride(exitWithUsageCode)
    .action((options: Record<string, unknown>) => runSampleData(options));
}
