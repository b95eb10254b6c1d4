import { readFile, writeFile } from "node:fs/promises";
import { connectGroth16InferenceProofVerifier } from "@tributary/contracts/typed";
import { parseInput, TributaryError, Uint256Schema } from "@tributary/protocol";
import {
  findInferenceCircuit,
  InferenceCircuit,
  type InferenceProof,
  releaseProverThreads,
  SHIPPED_CIRCUITS_DIR,
} from "@tributary/zk-proofs";
import type { Command } from "commander";
import { ZeroAddress } from "ethers";
import { z } from "zod";
import { withChain } from "../chain/chain-session.js";
import { addChainOptions, ChainOptionsShape, type CommandContext } from "../chain/command-options.js";
import type { Output } from "../chain/output.js";
import { runCommand } from "../chain/run-command.js";

const ProveOptionsSchema = z.strictObject({
  ...ChainOptionsShape,
  model: Uint256Schema,
  input: z.string().min(1),
  circuit: z.string().min(1).optional(),
  out: z.string().min(1).optional(),
});

/** The verdicts of `Groth16InferenceProofVerifier.check`, in its enum's order. */
const VERDICTS = ["Valid", "OtherModel", "Malformed", "OtherRequest", "OtherResponse", "ProofRejected"] as const;

/** `--input`: a JSON array of examples, each a number array nested to the model's input shape (as `model predict`). */
const InputFileSchema = z.array(z.unknown()).min(1, "give at least one example");

function flatten(value: unknown, into: number[], where: string): void {
  if (typeof value === "number") into.push(value);
  else if (Array.isArray(value)) for (const item of value) flatten(item, into, where);
  else throw new TributaryError("INVALID_INPUT", `${where}: must hold only numbers`);
}

/** The examples of `file` as float32, each checked to have the model's `inputSize` values. */
async function readExamples(file: string, inputSize: number): Promise<Float32Array> {
  let json: unknown;
  try {
    json = JSON.parse(await readFile(file, "utf8"));
  } catch (error) {
    throw new TributaryError("INVALID_INPUT", `--input ${file}: ${(error as Error).message}`);
  }
  const examples = parseInput(InputFileSchema, json, `--input ${file}`);
  const values: number[] = [];
  examples.forEach((example, index) => {
    const before = values.length;
    flatten(example, values, `--input ${file}[${index}]`);
    if (values.length - before !== inputSize) {
      throw new TributaryError(
        "INVALID_INPUT",
        `--input ${file}[${index}]: has ${values.length - before} values, the model takes ${inputSize}`,
      );
    }
  });
  return Float32Array.from(values);
}

/**
 * Asks the model's registered proof verifier (a `Groth16InferenceProofVerifier`) what it would say of `proof`, by
 * a call: `null` when the model has no proof verifier (its disputes go to the committee).
 */
async function onChainVerdict(
  verifierAddress: string,
  runner: Parameters<typeof connectGroth16InferenceProofVerifier>[1],
  proof: InferenceProof,
): Promise<(typeof VERDICTS)[number] | null> {
  if (verifierAddress === ZeroAddress) return null;
  const verifier = connectGroth16InferenceProofVerifier(verifierAddress, runner);
  const verdict = await verifier.check(proof.modelHash, proof.requestHash, proof.responseHash, proof.calldata);
  return VERDICTS[Number(verdict)] ?? "Malformed";
}

function describe(out: Output, proof: InferenceProof, modelId: string, ms: number): void {
  out.say(`model ${modelId}: ${proof.count} example(s) proved in ${(ms / 1000).toFixed(1)} s`);
  out.table([
    ["requestHash", proof.requestHash, "the task's inputHash"],
    ["responseHash", proof.responseHash, "what resolveWithProof proves"],
    ["logits", JSON.stringify(proof.logits), "integers at F_A fractional bits"],
  ]);
}

/**
 * `tributary zk prove --model ID --input FILE [--circuit DIR] [--out PROOF]`: the model's answer to the input proved
 * with its Groth16 inference circuit (the artifacts whose manifest names the model's hash on ModelRegistry: shipped
 * ones, or `--circuit`), the proof verified in Node and, when the model has a proof verifier on OptimisticVerifier,
 * by a call to it. Exit 0 when it verifies everywhere, 1 when a verifier refuses it, 2 on usage errors.
 */
export function runZkProve(raw: Record<string, unknown>, context: CommandContext): Promise<void> {
  return runCommand(raw, async (out) => {
    const options = parseInput(ProveOptionsSchema, raw, "zk prove options");
    await withChain(options, context, async (chain) => {
      const registry = await chain.contract("ModelRegistry");
      const { modelHash } = await registry.getModel(options.model);
      const dir = options.circuit ?? (await findInferenceCircuit(modelHash));
      if (dir === undefined) {
        throw new TributaryError(
          "ZK_NO_CIRCUIT",
          `no inference circuit for model ${options.model} (modelHash ${modelHash}) in ${SHIPPED_CIRCUITS_DIR}: set one up with npm run zk:setup, or pass --circuit DIR`,
          { details: { modelId: options.model, modelHash } },
        );
      }
      const circuit = await InferenceCircuit.load(dir);
      if (circuit.manifest.modelHash !== modelHash.toLowerCase()) {
        throw new TributaryError(
          "ZK_OTHER_MODEL",
          `--circuit ${dir} is for model hash ${circuit.manifest.modelHash}, model ${options.model} has ${modelHash}`,
        );
      }
      const inputs = await readExamples(options.input, circuit.inputSize);
      out.say(`proving model ${options.model} with ${dir} (${circuit.manifest.constraints} constraints)`);
      let proof: InferenceProof;
      let local: Awaited<ReturnType<InferenceCircuit["verify"]>>;
      let proveMs: number;
      try {
        const started = performance.now();
        proof = await circuit.prove(inputs);
        proveMs = performance.now() - started;
        local = await circuit.verify(proof);
      } finally {
        await releaseProverThreads(); // snarkjs's worker threads would keep the command alive
      }
      describe(out, proof, options.model, proveMs);
      if (options.out !== undefined) {
        await writeFile(options.out, `${JSON.stringify(proof)}\n`);
        out.say(`proof written to ${options.out} (tributary zk resolve --task ID --proof ${options.out})`);
      }
      const verifierAddress = await (await chain.contract("OptimisticVerifier")).proofVerifier(options.model);
      const onChain = await onChainVerdict(verifierAddress, chain.provider, proof);
      const result = {
        modelId: options.model,
        modelHash: proof.modelHash,
        requestHash: proof.requestHash,
        responseHash: proof.responseHash,
        logits: proof.logits,
        proof: options.out ?? null,
        proveMs: Math.round(proveMs),
        verified: local.verified,
        proofVerifier: verifierAddress === ZeroAddress ? null : verifierAddress,
        onChain,
      };
      const onChainLine =
        onChain === null
          ? `model ${options.model} has no proof verifier on OptimisticVerifier: its disputes go to the committee`
          : `its proof verifier ${verifierAddress} says: ${onChain}`;
      if (local.verified && (onChain === null || onChain === "Valid")) {
        out.done(result, ["verified in Node", onChainLine]);
      } else {
        out.finding({ ...result, reason: local.reason ?? `the proof verifier says ${onChain}` }, [
          local.verified ? "verified in Node" : `NOT verified in Node: ${local.reason}`,
          onChainLine,
        ]);
      }
    });
  });
}

/** Adds `zk prove` under `zk`. */
export function registerZkProveCommand(zk: Command, context: CommandContext): void {
  addChainOptions(
    zk
      .command("prove")
      .description(
        "prove a model's fixed-point answer to an input with its Groth16 inference circuit (circom, snarkjs); the proof is what `zk resolve` sends to end a dispute",
      )
      .requiredOption("--model <id>", "the model on ModelRegistry")
      .requiredOption("--input <file>", "JSON array of examples, each nested to the model's input shape")
      .option("--circuit <dir>", "the model's circuit artifacts directory (default: the shipped one naming its hash)")
      .option("--out <file>", "write the proof here"),
  ).action((options: Record<string, unknown>) => runZkProve(options, context));
}
