import { type ErrorDetails, TributaryError } from "@tributary/protocol";
import { EXIT, reportUsageError } from "../commands/exit-codes.js";
import { Output, toJsonLine } from "./output.js";

/**
 * The command looked and refused to act, or the contract refused: a balance or allowance is short, a transaction
 * would revert or reverted. Exit code 1 (a finding), unlike usage and connection errors (2).
 */
export class RefusedError extends TributaryError {
  constructor(code: string, message: string, details: ErrorDetails = {}, cause?: unknown) {
    super(code, message, { details, cause });
  }
}

/**
 * Runs a command's `body` with its `Output`, and turns what it throws into the one-line `tributary: …` on stderr
 * (plus `{ok: false, error}` as the JSON line with --json): exit 1 for a `RefusedError`, 2 for anything else. A body
 * that reports a finding (`out.finding`) exits 1 too.
 */
export async function runCommand(
  raw: Readonly<Record<string, unknown>>,
  body: (out: Output) => Promise<void>,
): Promise<void> {
  const json = raw.json === true;
  try {
    const out = new Output(json);
    await body(out);
    process.exitCode = out.found ? EXIT.finding : EXIT.ok;
  } catch (error) {
    if (!(error instanceof RefusedError)) {
      reportUsageError(error, json);
      return;
    }
    process.stderr.write(`tributary: ${error.message}\n`);
    if (json) {
      process.stdout.write(
        toJsonLine({ ok: false, error: { code: error.code, message: error.message, details: error.details } }),
      );
    }
    process.exitCode = EXIT.finding;
  }
}
