import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { parseInput } from "@tributary/protocol";
import {
  EzklCircuit,
  type EzklInput,
  EzklInputSchema,
  type EzklVerification,
  loadEzklArtifacts,
  parseJsonFile,
} from "@tributary/zk-proofs";
import type { Command } from "commander";
import { z } from "zod";
import type { Output } from "../chain/output.js";
import { runCommand } from "../chain/run-command.js";
import { exitWithUsageCode } from "./exit-codes.js";

const file = z.string().min(1);
const json = z.boolean().default(false);
const ProveOptionsSchema = z.strictObject({ artifacts: file, input: file, out: file.optional(), json });
const VerifyOptionsSchema = z.strictObject({ artifacts: file, proof: file, input: file.optional(), json });

async function readInput(inputFile: string): Promise<EzklInput> {
  return parseJsonFile(EzklInputSchema, await readFile(inputFile), path.basename(inputFile));
}

/** Prints a verification: `{ok: true, verified: true, output}` (exit 0), or the reason it failed (exit 1). */
function report(out: Output, verification: EzklVerification, extra: Readonly<Record<string, unknown>>): void {
  const output = verification.output === null ? [] : [`output: ${JSON.stringify(verification.output)}`];
  if (verification.verified) {
    out.done({ verified: true, output: verification.output, ...extra }, ["verified", ...output]);
  } else {
    out.finding({ verified: false, output: verification.output, reason: verification.reason, ...extra }, [
      `NOT verified: ${verification.reason}`,
      ...output,
    ]);
  }
}

/**
 * `tributary zk ezkl prove --artifacts DIR --input FILE [--out PROOF]`: the publisher's compiled circuit, settings
 * and SRS; the witness of the input, keys, a proof, and its verification; the proof's public output.
 */
export function runZkEzklProve(raw: Record<string, unknown>): Promise<void> {
  return runCommand(raw, async (out) => {
    const options = parseInput(ProveOptionsSchema, raw, "zk ezkl prove options");
    const artifacts = await loadEzklArtifacts(options.artifacts);
    const input = await readInput(options.input);
    out.say(`proving ${path.join(options.artifacts, artifacts.files.compiledCircuit)} on ${options.input}`);
    const proved = new EzklCircuit(artifacts).prove(input);
    if (options.out !== undefined) {
      await writeFile(options.out, proved.proof);
      out.say(`proof written to ${options.out}`);
    } else out.say("proof not kept (--out FILE writes it)");
    const { proof: _, ...verification } = proved;
    report(out, verification, { proof: options.out ?? null });
  });
}

/**
 * `tributary zk ezkl verify --artifacts DIR --proof FILE [--input FILE]`: the proof against the verifying key derived
 * from the publisher's circuit and SRS, with its settings; with `--input`, also that its output is the circuit's
 * output on that input.
 */
export function runZkEzklVerify(raw: Record<string, unknown>): Promise<void> {
  return runCommand(raw, async (out) => {
    const options = parseInput(VerifyOptionsSchema, raw, "zk ezkl verify options");
    const artifacts = await loadEzklArtifacts(options.artifacts);
    const input = options.input === undefined ? undefined : await readInput(options.input);
    const verification = new EzklCircuit(artifacts).verify(await readFile(options.proof), input);
    report(out, verification, { proof: options.proof });
  });
}

/** Adds `ezkl prove|verify` under `zk`. */
export function registerZkEzklCommands(zk: Command): void {
  const ezkl = zk
    .command("ezkl")
    .description(
      "proofs of a publisher's EZKL model (compiled circuit, settings.json, KZG SRS) with @ezkljs/engine, checked " +
        "off chain (EZKL's on-chain verifier needs the EZKL command-line tool)",
    );
  const common = (command: Command) =>
    command
      .requiredOption(
        "--artifacts <dir>",
        "the publisher's EZKL artifacts: model.compiled, settings.json, kzg.srs (or kzg)",
      )
      .option("--json", "print the result as one JSON line: {verified, output}", false)
      .exitOverride(exitWithUsageCode);
  common(
    ezkl
      .command("prove")
      .description("prove the model on an input and verify the proof (exit 0 verified, 1 not verified, 2 usage)")
      .requiredOption("--input <file>", "the input, as EZKL's input.json ({input_data: [[…]]})")
      .option("--out <file>", "write the proof here (EZKL's proof.json format)"),
  ).action((options: Record<string, unknown>) => runZkEzklProve(options));
  common(
    ezkl
      .command("verify")
      .description("verify a proof and print its public output (exit 0 verified, 1 not verified, 2 usage)")
      .requiredOption("--proof <file>", "the proof (EZKL's proof.json format)")
      .option("--input <file>", "also check the proof's output is the model's output on this input.json"),
  ).action((options: Record<string, unknown>) => runZkEzklVerify(options));
}
