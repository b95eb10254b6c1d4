import { createRequire } from "node:module";
import { Command } from "commander";
import { registerClaimCommand } from "./commands/claim.js";
import { registerLedgerCommand } from "./commands/ledger.js";
import { registerPrivacyCommand } from "./commands/privacy.js";
import { registerTrainerCommand } from "./commands/trainer.js";
import { registerUpCommand } from "./commands/up.js";

const require = createRequire(import.meta.url);
const { version } = require("../package.json") as { version: string };

/**
 * Builds the `tributary` command tree. Each subcommand lives in `commands/<name>.ts` and exports a
 * `register<Name>Command(program)` function that adds itself here.
 */
export function buildProgram(): Command {
  const program = new Command()
    .name("tributary")
    .description("Federated learning and compute-to-data marketplace: data never leaves its owner.")
    .version(version, "-v, --version", "print the version")
    .showHelpAfterError()
    .configureOutput({ outputError: (text, write) => write(text) });
  registerUpCommand(program);
  registerTrainerCommand(program);
  registerPrivacyCommand(program);
  registerLedgerCommand(program);
  registerClaimCommand(program);
  return program;
}
