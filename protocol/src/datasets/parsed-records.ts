import { DatasetFormatError } from "./dataset-format-error.js";

/** Records parsed from one file or file pair, before they are concatenated into a `Dataset`. */
export interface ParsedRecords {
  readonly features: Float32Array;
  readonly labels: Int32Array;
  readonly featureShape: readonly number[];
  readonly featureScale: number;
}

/** Checks each label is an integer class index in `[0, numClasses)`; names the first offending record. */
export function checkLabels(
  labels: ArrayLike<number>,
  numClasses: number,
  file: string,
  lineOf?: (i: number) => number,
): void {
  for (let i = 0; i < labels.length; i++) {
    const label = labels[i] as number;
    if (!Number.isInteger(label) || label < 0 || label >= numClasses) {
      const where = lineOf === undefined ? { record: i } : { line: lineOf(i) };
      throw new DatasetFormatError(file, `label ${label} is not a class index in [0, ${numClasses})`, where);
    }
  }
}
