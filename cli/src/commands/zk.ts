import type { Command } from "commander";
import type { CommandContext } from "../chain/command-options.js";
import { registerZkEzklCommands } from "./zk-ezkl.js";
import { registerZkProveCommand } from "./zk-prove.js";
import { registerZkResolveCommand } from "./zk-resolve.js";

/**
 * `tributary zk …`: zero-knowledge proofs of inference: `zk prove` and `zk resolve` for models with a Groth16
 * inference circuit (proofs checked on chain by OptimisticVerifier), `zk ezkl prove|verify` for publishers' EZKL
 * artifacts (checked off chain).
 */
export function registerZkCommand(program: Command, context: CommandContext = {}): void {
  const zk = program.command("zk").description("zero-knowledge proofs of inference");
  registerZkProveCommand(zk, context);
  registerZkResolveCommand(zk, context);
  registerZkEzklCommands(zk);
}
