import { TributaryError } from "@tributary/protocol";

/**
 * A dataset file on disk is malformed: wrong magic number, truncated, inconsistent counts, a label out of range,
 * a non-numeric value. Names the file, the record (0-based) or line (1-based) when one is to blame, and the problem.
 */
export class DatasetFormatError extends TributaryError {
  readonly file: string;

  constructor(file: string, problem: string, where: { line?: number; record?: number } = {}) {
    const at =
      where.line !== undefined
        ? ` (line ${where.line})`
        : where.record !== undefined
          ? ` (record ${where.record})`
          : "";
    super("DATASET_FORMAT", `${file}${at}: ${problem}`, { details: { file, problem, ...where } });
    this.file = file;
  }
}

/** The dataset loaded from disk does not hash to the commitment enrolled on chain. */
export class DatasetCommitmentMismatchError extends TributaryError {
  constructor(expected: string, actual: string, summary: Readonly<Record<string, unknown>>) {
    super(
      "DATASET_COMMITMENT_MISMATCH",
      `dataset does not match its enrolled commitment: expected ${expected}, the files on disk give ${actual}`,
      { details: { expected, actual, ...summary } },
    );
  }
}

/**
 * Training or partitioning options are unusable (batch size, learning rate, number of clients, a gradient of the
 * wrong length). Examples that do not fit the model raise the model runtime's `ModelInputError` instead.
 */
export class TrainingConfigError extends TributaryError {
  constructor(problem: string, details: Readonly<Record<string, unknown>> = {}) {
    super("TRAINING_CONFIG", problem, { details });
  }
}
