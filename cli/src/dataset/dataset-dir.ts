import { readdir, stat } from "node:fs/promises";
import path from "node:path";
import { TributaryError } from "@tributary/protocol";
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

/** Names of held-out splits: `t10k-images-idx3-ubyte` (MNIST), `test.csv`, `eval-part.jsonl`… */
const HELD_OUT = /^(t10k|test|eval|val|validation)([-_.]|$)/i;
const SUFFIX = { csv: /\.csv$/i, jsonl: /\.jsonl$/i } as const;
/** `<prefix>images-idx<rank>-<type>[.gz]` and its labels `<prefix>labels-idx1-<type>[.gz]`. */
const IDX_IMAGES = /^(.*)images-idx\d-[a-z]+(\.gz)?$/i;
const IDX_LABELS = /^(.*)labels-idx1-[a-z]+(\.gz)?$/i;

interface Candidate {
  readonly data: string;
  readonly labels?: string;
}

function idxPairs(dir: string, names: readonly string[]): Candidate[] {
  const labels = new Map(
    names.flatMap((name) => {
      const match = IDX_LABELS.exec(name);
      return match === null ? [] : [[match[1] ?? "", name] as const];
    }),
  );
  return names.flatMap((name) => {
    const prefix = IDX_IMAGES.exec(name)?.[1];
    const label = prefix === undefined ? undefined : labels.get(prefix);
    return label === undefined ? [] : [{ data: path.join(dir, name), labels: path.join(dir, label) }];
  });
}

function candidates(dir: string, names: readonly string[], format: DatasetFormat): Candidate[] {
  if (format === "idx") return idxPairs(dir, names);
  return names.filter((name) => SUFFIX[format].test(name)).map((name) => ({ data: path.join(dir, name) }));
}

function describe(found: readonly Candidate[]): string {
  return found.map((c) => path.basename(c.data)).join(", ");
}

/** The one training candidate and at most one held-out one, or a refusal naming what was found. */
function pick(dir: string, found: readonly Candidate[], format: DatasetFormat) {
  const heldOut = found.filter((c) => HELD_OUT.test(path.basename(c.data)));
  const training = found.filter((c) => !heldOut.includes(c));
  if (training.length !== 1 || heldOut.length > 1) {
    throw new DatasetDirError(
      dir,
      `${training.length === 0 ? "no" : "more than one"} ${format} training file${heldOut.length > 1 ? " or held-out file" : ""} (found: ${describe(found) || "none"}); name the training records with --data${format === "idx" ? " and --labels" : ""}`,
    );
  }
  return { training: training[0] as Candidate, evaluation: heldOut[0] };
}

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
  const names = (await readdir(root)).sort();
  let format = options.format;
  if (format === undefined) {
    const present = (["idx", "csv", "jsonl"] as const).filter((f) => candidates(root, names, f).length > 0);
    if (present.length !== 1) {
      throw new DatasetDirError(
        dir,
        present.length === 0
          ? "holds no dataset files (an IDX pair *images-idxN-* + *labels-idx1-*, a .csv or a .jsonl file)"
          : `holds ${present.join(" and ")} files: choose one with --format`,
      );
    }
    format = present[0] as DatasetFormat;
  }
  let training: Candidate;
  let evaluation: Candidate | undefined;
  if (options.data !== undefined) {
    if (format === "idx" && options.labels === undefined)
      throw new DatasetDirError(dir, "--data of an IDX dataset needs --labels");
    training = {
      data: path.resolve(root, options.data),
      ...(options.labels === undefined ? {} : { labels: path.resolve(root, options.labels) }),
    };
  } else {
    ({ training, evaluation } = pick(dir, candidates(root, names, format), format));
  }
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
