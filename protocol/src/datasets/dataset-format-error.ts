import { TributaryError } from "../errors.js";

/**
 * A dataset file is malformed: wrong magic number, truncated, inconsistent counts, a label out of range, a
 * non-numeric value. Names the file, the record (0-based) or line (1-based) when one is to blame, and the problem.
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
