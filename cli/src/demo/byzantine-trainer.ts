/**
 * The demo's Byzantine trainer (robustness testing only), a process entry of its own:
 * `byzantine-trainer ATTACK <the options of tributary trainer>`. It runs the production trainer agent exactly as
 * `tributary trainer` does, with the attack plugged in from outside as the agent's `updateTransform`. The demo
 * (`trainer-processes.ts`) starts it for the first K owners of `npm start -- --byzantine K:ATTACK`.
 */
import { parseInput, TributaryError } from "@tributary/protocol";
import { Command } from "commander";
import { z } from "zod";
import { registerTrainerCommand } from "../commands/trainer.js";
import { BYZANTINE_ATTACKS, byzantineTransform } from "./byzantine-spec.js";

try {
  const [attackArg, ...args] = process.argv.slice(2);
  const attack = parseInput(z.enum(BYZANTINE_ATTACKS), attackArg, "byzantine-trainer attack");
  process.stderr.write(`ADVERSARIAL TRAINER for robustness testing: every update is ${attack}\n`);
  const program = new Command()
    .name("byzantine-trainer")
    .configureOutput({ outputError: (text, write) => write(text) });
  registerTrainerCommand(program, { updateTransform: byzantineTransform(attack) });
  await program.parseAsync(["trainer", ...args], { from: "user" });
} catch (error) {
  if (error instanceof TributaryError) {
    process.stderr.write(`byzantine-trainer: ${error.message}\n`);
    process.exitCode = 1;
  } else {
    throw error;
  }
}
