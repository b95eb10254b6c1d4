import { TributaryError } from "@tributary/protocol";

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
