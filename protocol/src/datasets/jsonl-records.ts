import { DatasetFormatError } from "./dataset-format-error.js";
import { checkLabels, type ParsedRecords } from "./parsed-records.js";
import { textLines } from "./text-lines.js";

/**
 * JSON Lines, one record per line: `{"x": [numbers…], "y": class}`. Every `x` must have the same length. Blank
 * lines are skipped. Errors name the file and the 1-based line.
 */
export function parseJsonl(file: string, bytes: Uint8Array, numClasses: number): ParsedRecords {
  const lines = textLines(bytes, file);
  const features: number[] = [];
  const labels: number[] = [];
  const lineNumbers: number[] = [];
  let width: number | undefined;
  lines.forEach((line, i) => {
    if (line.trim() === "") return;
    const at = { line: i + 1 };
    let record: unknown;
    try {
      record = JSON.parse(line);
    } catch {
      throw new DatasetFormatError(file, "not valid JSON", at);
    }
    if (typeof record !== "object" || record === null || !("x" in record) || !("y" in record)) {
      throw new DatasetFormatError(file, 'expected an object {"x": [...], "y": n}', at);
    }
    const { x, y } = record as { x: unknown; y: unknown };
    if (!Array.isArray(x) || x.length === 0) throw new DatasetFormatError(file, '"x" must be a non-empty array', at);
    const bad = x.findIndex((value) => typeof value !== "number" || !Number.isFinite(value));
    if (bad >= 0) throw new DatasetFormatError(file, `"x"[${bad}] is not a finite number`, at);
    if (width === undefined) width = x.length;
    if (x.length !== width) {
      throw new DatasetFormatError(file, `"x" has ${x.length} values, earlier records have ${width}`, at);
    }
    if (typeof y !== "number") throw new DatasetFormatError(file, '"y" must be a number', at);
    for (const value of x as number[]) features.push(value);
    labels.push(y);
    lineNumbers.push(i + 1);
  });
  if (width === undefined) throw new DatasetFormatError(file, "no records");
  checkLabels(labels, numClasses, file, (record) => lineNumbers[record] ?? 0);
  return {
    features: Float32Array.from(features),
    labels: Int32Array.from(labels),
    featureShape: [width],
    featureScale: 1,
  };
}
