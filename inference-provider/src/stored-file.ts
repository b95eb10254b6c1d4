import { open, readFile, rename } from "node:fs/promises";
import { parseInput, TributaryError } from "@tributary/protocol";
import type { z } from "zod";

/**
 * Replaces `file` with `text` so that a crash leaves either the old file or the new one, never a torn one: written
 * to `<file>.tmp`, synced to disk, then renamed over `file`.
 */
export async function writeFileDurably(file: string, text: string): Promise<void> {
  const temporary = `${file}.tmp`;
  const handle = await open(temporary, "w");
  try {
    await handle.writeFile(text);
    await handle.datasync();
  } finally {
    await handle.close();
  }
  await rename(temporary, file);
}

/** The JSON in `file` parsed with `schema` (errors name the file), or undefined when there is no such file. */
export async function readStoredJson<S extends z.ZodType>(file: string, schema: S): Promise<z.output<S> | undefined> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new TributaryError("INVALID_INPUT", `${file} is not JSON: ${(error as Error).message}`);
  }
  return parseInput(schema, json, file);
}
