import { readdir, stat } from "node:fs/promises";
import path from "node:path";
import {
  type ChoiceHints,
  chooseDatasetFiles,
  DatasetChoiceError,
  type DatasetFileChoice,
  datasetFormatOf,
  TributaryError,
} from "@tributary/protocol";
import type { DatasetSource } from "@tributary/trainer-agent";

export type DatasetFormat = DatasetSource["format"];

/** How the files of a dataset directory are read: what the owner gives `dataset enrol` besides the directory. */
export interface DatasetDirOptions {
  /** Default: the one format the directory's files have. */
  readonly format?: DatasetFormat | undefined;
  /** The training records (a name in the directory or a path); default: found by name (see `resolveDatasetDir`). */
  readonly data?: string | undefined;
  /** The IDX labels of `data`. */
  readonly labels?: string | undefined;
  readonly labelColumn: string;
  readonly numClasses: number;
}

/** A dataset directory resolved to the files `tributary trainer` reads, and its `--…` flags for them. */
export interface ResolvedDatasetDir {
  /** Exactly what `tributary trainer --format F --data … [--labels …]` loads: the manifest covers these files. */
  readonly source: DatasetSource;
  /** Held-out records found beside them (`t10k-…`, `test…`, `eval…`), for the trainer's `--eval-data`. */
  readonly evaluation: { readonly data: string; readonly labels?: string } | undefined;
  /** The trainer's flags for these files (absolute paths). */
  readonly trainerArgs: readonly string[];
}

export class DatasetDirError extends TributaryError {
  constructor(dir: string, message: string) {
    super("INVALID_INPUT", `${dir}: ${message}`, { details: { dir } });
  }
}

/** How a person names the format and the files on `dataset enrol`'s command line. */
const FLAG_HINTS: ChoiceHints = {
  format: "choose one with --format",
  data: (format) => `name the training records with --data${format === "idx" ? " and --labels" : ""}`,
};

async function isFile(file: string): Promise<boolean> {
  return (await stat(file).catch(() => undefined))?.isFile() === true;
}

/**
 * Resolves a data owner's directory to the files the trainer will load, so that `dataset enrol DIR` commits to
 * exactly the manifest `tributary trainer` computes. Without `--data`, the directory must hold one dataset in one
 * format: one CSV file, one JSONL file, or one IDX pair `<p>images-idxN-<type>[.gz]` + `<p>labels-idx1-<type>[.gz]`;
 * a second one named as a held-out split (`t10k…`, `test…`, `eval…`, `val…`) becomes the trainer's `--eval-data`.
 */
export async function resolveDatasetDir(dir: string, options: DatasetDirOptions): Promise<ResolvedDatasetDir> {
  const root = path.resolve(dir);
  const info = await stat(root).catch(() => undefined);
  if (info?.isDirectory() !== true) throw new DatasetDirError(dir, "not a directory");
  const names = await readdir(root);
  let format: DatasetFormat;
  let chosen: DatasetFileChoice | undefined;
  try {
    format = datasetFormatOf(names, FLAG_HINTS, options.format);
    chosen = options.data === undefined ? chooseDatasetFiles(names, FLAG_HINTS, format) : undefined;
  } catch (error) {
    if (error instanceof DatasetChoiceError) throw new DatasetDirError(dir, error.message);
    throw error;
  }
  if (format === "idx" && options.data !== undefined && options.labels === undefined) {
    throw new DatasetDirError(dir, "--data of an IDX dataset needs --labels");
  }
  const inDir = (file: { readonly data: string; readonly labels?: string | undefined }) => ({
    data: path.resolve(root, file.data),
    ...(file.labels === undefined ? {} : { labels: path.resolve(root, file.labels) }),
  });
  const training = inDir(chosen?.training ?? { data: options.data as string, labels: options.labels });
  const evaluation = chosen?.evaluation === undefined ? undefined : inDir(chosen.evaluation);
  for (const file of [training.data, training.labels]) {
    if (file !== undefined && !(await isFile(file))) throw new DatasetDirError(dir, `${file} is not a file`);
  }
  const numClasses = options.numClasses;
  const source: DatasetSource =
    format === "idx"
      ? { format, parts: [{ images: training.data, labels: training.labels as string }], numClasses }
      : format === "csv"
        ? { format, files: [training.data], labelColumn: options.labelColumn, numClasses }
        : { format, files: [training.data], numClasses };
  const trainerArgs = [
    "--format",
    format,
    "--data",
    training.data,
    ...(training.labels === undefined ? [] : ["--labels", training.labels]),
    ...(evaluation === undefined ? [] : ["--eval-data", evaluation.data]),
    ...(evaluation?.labels === undefined ? [] : ["--eval-labels", evaluation.labels]),
    ...(format === "csv" ? ["--label-column", options.labelColumn] : []),
    "--num-classes",
    String(numClasses),
  ];
  return { source, evaluation, trainerArgs };
}
