import { readFile } from "node:fs/promises";
import { TributaryError } from "@tributary/protocol";

/** Reads a file the researcher named (`--validation-set`, the spec), saying which flag it came from when it cannot. */
export async function readUserFile(file: string, flag: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new TributaryError("INVALID_INPUT", `${flag} ${file}: ${code === "ENOENT" ? "no such file" : code}`, {
      cause: error,
    });
  }
}

/** The spec file as JSON (any JSON: `prepareJobSpec` checks it). */
export async function readJobSpecFile(file: string): Promise<unknown> {
  const text = (await readUserFile(file, "SPEC")).toString("utf8");
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new TributaryError("INVALID_INPUT", `SPEC ${file} is not JSON: ${(error as Error).message}`, {
      cause: error,
    });
  }
}
