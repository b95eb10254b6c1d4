import { createRequire } from "node:module";
import { Command } from "commander";
import { registerAttestCommand } from "./commands/attest.js";
import { registerC2dCommand } from "./commands/c2d.js";
import { registerChallengerCommand } from "./commands/challenger.js";
import { registerChannelCommand } from "./commands/channel.js";
import { registerClaimCommand } from "./commands/claim.js";
import { registerCommitteeCommand } from "./commands/committee.js";
import { registerCoordinatorCommand } from "./commands/coordinator.js";
import { registerDatasetCommand } from "./commands/dataset.js";
import { registerDeployCommand } from "./commands/deploy.js";
import { registerGovCommand } from "./commands/gov.js";
import { registerJobCommand } from "./commands/job.js";
import { registerKeyCommand } from "./commands/key.js";
import { registerLedgerCommand } from "./commands/ledger.js";
import { registerModelCommand } from "./commands/model.js";
import { registerOceanCommand } from "./commands/ocean.js";
import { registerPrivacyCommand } from "./commands/privacy.js";
import { registerProviderCommand } from "./commands/provider.js";
import { registerRouterCommand } from "./commands/router.js";
import { registerSampleDataCommand } from "./commands/sample-data.js";
import { registerStakeCommand } from "./commands/stake.js";
import { registerTokenCommand } from "./commands/token.js";
import { registerTrainerCommand } from "./commands/trainer.js";
import { registerUpCommand } from "./commands/up.js";
import { registerZkCommand } from "./commands/zk.js";

const require = createRequire(import.meta.url);
const { version } = require("../package.json") as { version: string };

/**
 * The roles `tributary --help` groups its commands by, in the order it lists them. A new command registers under
 * its role's group below (each person runs only their own commands, with their own key).
 */
export const HELP_GROUPS = {
  dataOwner: "Data owner:",
  researcher: "Researcher:",
  computeToData: "Compute-to-data:",
  provider: "Provider / staker / router:",
  models: "Models (buyers, researchers):",
  buyer: "Inference buyer:",
  verification: "Verification (challengers, committee):",
  zk: "Zero-knowledge proofs:",
  governance: "Governance:",
  auditor: "Auditor:",
  operator: "Operator:",
  keys: "Keys:",
  demo: "Demo:",
} as const;

/**
 * Builds the `tributary` command tree. Each subcommand lives in `commands/<name>.ts` and exports a
 * `register<Name>Command(program)` function that adds itself here, under its role's help group.
 */
export function buildProgram(): Command {
  const program = new Command()
    .name("tributary")
    .description("Federated learning and compute-to-data marketplace: data never leaves its owner.")
    .version(version, "-v, --version", "print the version")
    .showHelpAfterError()
    .configureOutput({ outputError: (text, write) => write(text) });
  program.commandsGroup(HELP_GROUPS.dataOwner);
  registerDatasetCommand(program);
  registerTrainerCommand(program);
  registerClaimCommand(program);
  program.commandsGroup(HELP_GROUPS.researcher);
  registerJobCommand(program);
  registerOceanCommand(program);
  registerPrivacyCommand(program);
  program.commandsGroup(HELP_GROUPS.computeToData);
  registerC2dCommand(program);
  program.commandsGroup(HELP_GROUPS.provider);
  registerStakeCommand(program);
  registerProviderCommand(program);
  registerRouterCommand(program);
  program.commandsGroup(HELP_GROUPS.models);
  registerModelCommand(program);
  program.commandsGroup(HELP_GROUPS.buyer);
  registerChannelCommand(program);
  program.commandsGroup(HELP_GROUPS.verification);
  registerChallengerCommand(program);
  registerCommitteeCommand(program);
  program.commandsGroup(HELP_GROUPS.zk);
  registerZkCommand(program);
  program.commandsGroup(HELP_GROUPS.governance);
  registerGovCommand(program);
  registerTokenCommand(program);
  program.commandsGroup(HELP_GROUPS.auditor);
  registerLedgerCommand(program);
  registerAttestCommand(program);
  program.commandsGroup(HELP_GROUPS.operator);
  registerDeployCommand(program);
  registerCoordinatorCommand(program);
  program.commandsGroup(HELP_GROUPS.keys);
  registerKeyCommand(program);
  program.commandsGroup(HELP_GROUPS.demo);
  registerUpCommand(program);
  registerSampleDataCommand(program);
  program.commandsGroup("");
  return program;
}
