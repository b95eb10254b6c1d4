import type { Command } from "commander";
import { z } from "zod";
import { exitWithUsageCode } from "../commands/exit-codes.js";
import type { DeploymentContext } from "./deployment.js";

/** Where `tributary up` and the coordinator listen by default (coordinator config `port`). */
export const DEFAULT_COORDINATOR_URL = "http://127.0.0.1:8470";

/** What a command's run function takes besides its flags: where default deployment files live (tests move it). */
export type CommandContext = DeploymentContext;

/** `--rpc`, `--deployment` and `--json`, as zod shape to spread into a command's options schema. */
export const ChainOptionsShape = {
  rpc: z.url({ message: "must be the JSON-RPC URL of the chain, e.g. http://127.0.0.1:8545" }),
  deployment: z.string().min(1).optional(),
  json: z.boolean().default(false),
};

/** `--coordinator`, as zod shape. */
export const CoordinatorOptionsShape = {
  coordinator: z.url({ message: "must be the coordinator's URL, e.g. http://127.0.0.1:8470" }),
};

/**
 * Adds the flags every chain command has: `--rpc <url>` (required), `--deployment <file>` and `--json`; commander's
 * own usage errors exit 2.
 */
export function addChainOptions(command: Command): Command {
  return command
    .requiredOption("--rpc <url>", "JSON-RPC URL of the chain (any EVM chain with a deployment of Tributary)")
    .option(
      "--deployment <file>",
      "deployment file naming the contracts (default: contracts/deployments/<chainId>.json; never the coordinator's word)",
    )
    .option("--json", "print the result as one JSON line (the last line of stdout)", false)
    .exitOverride(exitWithUsageCode);
}

/** Adds `--coordinator <url>` (default the local one) for a command that talks to a coordinator about `what`. */
export function addCoordinatorOption(command: Command, what: string): Command {
  return command.option("--coordinator <url>", `the coordinator serving ${what}`, DEFAULT_COORDINATOR_URL);
}

/** What runs a chain command: its parsed flags (and arguments) as given, and the command's context. */
export type CommandAction = (raw: Record<string, unknown>, context: CommandContext) => Promise<void>;

/** Makes `command` take one `<id>` argument (`what` describes it) and run `action` with it among the flags as `id`. */
export function addIdAction(command: Command, what: string, context: CommandContext, action: CommandAction): Command {
  return command
    .argument("<id>", what)
    .action((id: string, options: Record<string, unknown>) => action({ ...options, id }, context));
}
