import { TributaryError } from "@tributary/protocol";
import type { CommanderError } from "commander";

/** Exit codes of the audit commands: 0 all agreed / done, 1 a finding (disagreement, refused claim), 2 usage or connection. */
export const EXIT = { ok: 0, finding: 1, usage: 2 } as const;

/**
 * `Command.exitOverride` callback: commander's own usage errors (unknown or missing option) exit with 2 instead of
 * commander's 1, so a script can tell "the ledger disagrees" from "the command was wrong". Help and version exit 0.
 */
export function exitWithUsageCode(error: CommanderError): never {
  process.exit(error.exitCode === 0 ? 0 : EXIT.usage);
}

/** Prints a usage or connection error (stderr; and as one JSON line with --json) and sets exit code 2. */
export function reportUsageError(error: unknown, json: boolean): void {
  const message = error instanceof Error ? error.message : String(error);
  const code = error instanceof TributaryError ? error.code : "ERROR";
  process.stderr.write(`tributary: ${message}\n`);
  if (json) process.stdout.write(`${JSON.stringify({ ok: false, error: { code, message } })}\n`);
  process.exitCode = EXIT.usage;
}
