import { DatasetFormatError } from "./dataset-format-error.js";
import { checkLabels, type ParsedRecords } from "./parsed-records.js";
import { textLines } from "./text-lines.js";

/** A numeric CSV value: a finite decimal number, nothing else (empty, NaN, "inf" and words are refused). */
function parseNumber(text: string): number | undefined {
  const trimmed = text.trim();
  if (trimmed === "" || !/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(trimmed)) return undefined;
  const value = Number(trimmed);
  return Number.isFinite(value) ? value : undefined;
}

/**
 * A CSV file with a header row and numeric columns; `labelColumn` names the class column, every other column is
 * a feature. Blank lines are skipped. Errors name the file and the 1-based line.
 */
export function parseCsv(file: string, bytes: Uint8Array, labelColumn: string, numClasses: number): ParsedRecords {
  const lines = textLines(bytes, file);
  const header = (lines[0] ?? "").split(",").map((name) => name.trim().replace(/^"(.*)"$/, "$1"));
  const labelIndex = header.indexOf(labelColumn);
  if (labelIndex < 0) {
    throw new DatasetFormatError(file, `no column "${labelColumn}" in the header (${header.join(", ")})`, { line: 1 });
  }
  const width = header.length - 1;
  if (width < 1) throw new DatasetFormatError(file, "the header has no feature column", { line: 1 });
  const features: number[] = [];
  const labels: number[] = [];
  const lineNumbers: number[] = [];
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i] ?? "";
    if (line.trim() === "") continue;
    const cells = line.split(",");
    if (cells.length !== header.length) {
      throw new DatasetFormatError(file, `${cells.length} fields, the header has ${header.length}`, { line: i + 1 });
    }
    cells.forEach((cell, column) => {
      const value = parseNumber(cell);
      if (value === undefined) {
        throw new DatasetFormatError(file, `column "${header[column]}" is not a number: ${JSON.stringify(cell)}`, {
          line: i + 1,
        });
      }
      if (column === labelIndex) labels.push(value);
      else features.push(value);
    });
    lineNumbers.push(i + 1);
  }
  checkLabels(labels, numClasses, file, (record) => lineNumbers[record] ?? 0);
  return {
    features: Float32Array.from(features),
    labels: Int32Array.from(labels),
    featureShape: [width],
    featureScale: 1,
  };
}
