import type { Command } from "commander";
import { registerZkEzklCommands } from "./zk-ezkl.js";

/** `tributary zk …`: zero-knowledge proofs of inference; `zk ezkl prove|verify` for publishers' EZKL artifacts. */
export function registerZkCommand(program: Command): void {
  const zk = program.command("zk").description("zero-knowledge proofs of inference");
  registerZkEzklCommands(zk);
}
