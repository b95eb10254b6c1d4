import { writeFile } from "node:fs/promises";
import path from "node:path";
import { ModelSpecSchema, parseInput, TributaryError } from "@tributary/protocol";
import { loadDataset } from "@tributary/trainer-agent";
import type { Command } from "commander";
import { z } from "zod";
import { runCommand } from "../chain/run-command.js";
import { resolveDatasetDir } from "../dataset/dataset-dir.js";
import { readJobSpecFile } from "../job/job-spec-file.js";
import { encodeValidationRecords } from "../job/validation-records.js";
import { addDatasetReadOptions, DatasetReadShape } from "./dataset-options.js";
import { exitWithUsageCode } from "./exit-codes.js";

const ValidationSetOptionsSchema = z.strictObject({
  ...DatasetReadShape,
  dir: z.string().min(1),
  spec: z.string().min(1),
  out: z.string().min(1),
  json: z.boolean().default(false),
});

/** The spec file's model (the rest of the spec is checked by `job create`, which may fill datasets and rounds). */
async function specModel(file: string) {
  const spec = await readJobSpecFile(file);
  const model = typeof spec === "object" && spec !== null ? (spec as { model?: unknown }).model : undefined;
  if (model === undefined) throw new TributaryError("INVALID_INPUT", `--spec ${file} has no model`);
  return parseInput(ModelSpecSchema, model, "JobSpec.model");
}

/**
 * `tributary job validation-set DIR --spec SPEC --out FILE`: the researcher's held-out records in DIR (read by the
 * trainer's own loader, as `dataset enrol` reads an owner's) encoded as the validation set `job create
 * --validation-set` uploads, scaled and shaped for SPEC's model exactly as the trainers feed their records to it.
 */
export function runValidationSet(raw: Record<string, unknown>): Promise<void> {
  return runCommand(raw, async (out) => {
    const options = parseInput(ValidationSetOptionsSchema, raw, "job validation-set options");
    const model = await specModel(options.spec);
    const resolved = await resolveDatasetDir(options.dir, options);
    const { dataset } = await loadDataset(resolved.source);
    const bytes = encodeValidationRecords(dataset, model);
    const file = path.resolve(options.out);
    await writeFile(file, bytes);
    const histogram = Array.from({ length: dataset.numClasses }, () => 0);
    for (const label of dataset.labels) histogram[label] = (histogram[label] ?? 0) + 1;
    out.done(
      {
        action: "job validation-set",
        file,
        records: dataset.count,
        featureShape: model.inputShape,
        labels: histogram,
        bytes: bytes.byteLength,
      },
      [
        `wrote ${file}: ${dataset.count} records shaped [${model.inputShape}] for the model, labels ${histogram.map((count, label) => `${label}:${count}`).join(" ")} (${bytes.byteLength} bytes)`,
        `upload it with: tributary job create ${options.spec} --validation-set ${options.out} …`,
      ],
    );
  });
}

/** Adds `job validation-set` to the `job` command. */
export function registerValidationSetCommand(job: Command): void {
  const command = job
    .command("validation-set")
    .description(
      "encode the researcher's held-out records in DIR as the validation set `job create --validation-set` uploads",
    )
    .argument(
      "<dir>",
      "directory of labelled records (an IDX pair, a CSV or a JSONL file), read as `dataset enrol` reads one",
    )
    .requiredOption("--spec <file>", "the JobSpec whose model the records are shaped for")
    .requiredOption("--out <file>", "where to write the validation set");
  addDatasetReadOptions(command)
    .option("--json", "print the result as one JSON line", false)
    .exitOverride(exitWithUsageCode)
    .action((dir: string, options: Record<string, unknown>) => runValidationSet({ ...options, dir }));
}
