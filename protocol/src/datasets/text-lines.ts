import { DatasetFormatError } from "./dataset-format-error.js";

const decoder = new TextDecoder("utf-8", { fatal: true });

/** A text file's lines (LF or CRLF); refuses bytes that are not UTF-8. */
export function textLines(bytes: Uint8Array, file: string): string[] {
  let text: string;
  try {
    text = decoder.decode(bytes);
  } catch {
    throw new DatasetFormatError(file, "not valid UTF-8 text");
  }
  return text.split(/\r?\n/);
}
