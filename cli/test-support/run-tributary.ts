import { expect, vi } from "vitest";
import { buildProgram } from "../src/program.js";

class ExitCalled extends Error {
  constructor(readonly code: number | undefined) {
    super(`process.exit(${code})`);
  }
}

export interface Ran {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `run` in process with stdout, stderr and process.exit captured; returns the exit code and what it printed. */
export async function captured(run: () => Promise<unknown>): Promise<Ran> {
  let stdout = "";
  let stderr = "";
  vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
    stdout += String(chunk);
    return true;
  });
  vi.spyOn(process.stderr, "write").mockImplementation((chunk: string | Uint8Array) => {
    stderr += String(chunk);
    return true;
  });
  // Commander's own usage errors end in process.exit: observe the code instead of ending the test runner.
  vi.spyOn(process, "exit").mockImplementation((code?: string | number | null) => {
    throw new ExitCalled(code === null || code === undefined ? undefined : Number(code));
  });
  process.exitCode = undefined;
  let code: number;
  try {
    await run();
    code = Number(process.exitCode ?? 0);
  } catch (error) {
    if (!(error instanceof ExitCalled)) throw error;
    code = error.code ?? 0;
  } finally {
    vi.restoreAllMocks();
    process.exitCode = undefined;
  }
  return { code, stdout, stderr };
}

/** Runs `tributary …args` in process through `buildProgram()`. */
export function tributary(...args: string[]): Promise<Ran> {
  return captured(() => buildProgram().parseAsync(["node", "tributary", ...args]));
}

/** The one JSON line of `--json` output. */
export function jsonLine(stdout: string): Record<string, unknown> {
  const lines = stdout.trim().split("\n");
  expect(lines).toHaveLength(1);
  return JSON.parse(lines[0] as string) as Record<string, unknown>;
}
