import { TributaryError } from "../errors.js";

export type DatasetFileFormat = "idx" | "csv" | "jsonl";

/** The training records of a dataset, and the held-out records beside them, by file name. */
export interface DatasetFileChoice {
  readonly format: DatasetFileFormat;
  /** The records the manifest covers (and the IDX labels of an IDX pair). */
  readonly training: { readonly data: string; readonly labels?: string };
  /** Held-out records found beside them (`t10k-…`, `test…`, `eval…`), for the trainer's evaluation. */
  readonly evaluation: { readonly data: string; readonly labels?: string } | undefined;
}

/** How the person choosing says which format and which file, in the words of its interface (flags or fields). */
export interface ChoiceHints {
  /** E.g. `choose one with --format`. */
  readonly format: string;
  /** E.g. `name the training records with --data` (and `--labels` for IDX). */
  readonly data: (format: DatasetFileFormat) => string;
}

/** A set of files that is not one dataset in one format: says what was found. */
export class DatasetChoiceError extends TributaryError {
  constructor(problem: string, names: readonly string[]) {
    super("INVALID_INPUT", problem, { details: { names: [...names] } });
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

function idxPairs(names: readonly string[]): Candidate[] {
  const labels = new Map(
    names.flatMap((name) => {
      const match = IDX_LABELS.exec(name);
      return match === null ? [] : [[match[1] ?? "", name] as const];
    }),
  );
  return names.flatMap((name) => {
    const prefix = IDX_IMAGES.exec(name)?.[1];
    const label = prefix === undefined ? undefined : labels.get(prefix);
    return label === undefined ? [] : [{ data: name, labels: label }];
  });
}

function candidates(names: readonly string[], format: DatasetFileFormat): Candidate[] {
  if (format === "idx") return idxPairs(names);
  return names.filter((name) => SUFFIX[format].test(name)).map((name) => ({ data: name }));
}

/**
 * The format of a set of file names: `format` when given, else the one format the files have (an IDX pair
 * `*images-idxN-*` + `*labels-idx1-*`, a `.csv` or a `.jsonl` file).
 */
export function datasetFormatOf(
  names: readonly string[],
  hints: ChoiceHints,
  format?: DatasetFileFormat,
): DatasetFileFormat {
  if (format !== undefined) return format;
  const present = (["idx", "csv", "jsonl"] as const).filter((f) => candidates(names, f).length > 0);
  if (present.length !== 1) {
    throw new DatasetChoiceError(
      present.length === 0
        ? "holds no dataset files (an IDX pair *images-idxN-* + *labels-idx1-*, a .csv or a .jsonl file)"
        : `holds ${present.join(" and ")} files: ${hints.format}`,
      names,
    );
  }
  return present[0] as DatasetFileFormat;
}

/**
 * Chooses a dataset's files among the names of one directory (or the files an owner picked), as `tributary dataset
 * enrol DIR`, `tributary trainer` and the portal all do, so each commits to the same files: one dataset in one
 * format, one CSV file, one JSONL file, or one IDX pair `<p>images-idxN-<type>[.gz]` + `<p>labels-idx1-<type>[.gz]`;
 * a second one named as a held-out split (`t10k…`, `test…`, `eval…`, `val…`) is the evaluation set.
 */
export function chooseDatasetFiles(
  names: readonly string[],
  hints: ChoiceHints,
  format?: DatasetFileFormat,
): DatasetFileChoice {
  const sorted = [...names].sort();
  const chosen = datasetFormatOf(sorted, hints, format);
  const found = candidates(sorted, chosen);
  const heldOut = found.filter((c) => HELD_OUT.test(c.data));
  const training = found.filter((c) => !heldOut.includes(c));
  if (training.length !== 1 || heldOut.length > 1) {
    const listed = found.map((c) => c.data).join(", ");
    throw new DatasetChoiceError(
      `${training.length === 0 ? "no" : "more than one"} ${chosen} training file${heldOut.length > 1 ? " or held-out file" : ""} (found: ${listed || "none"}); ${hints.data(chosen)}`,
      sorted,
    );
  }
  return { format: chosen, training: training[0] as Candidate, evaluation: heldOut[0] };
}
