import { randomBytes } from "node:crypto";
import { copyFile, mkdir, readFile, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import { DeterministicModel } from "@tributary/deterministic-inference";
import type { ModelSpec } from "@tributary/protocol";
import * as snarkjs from "snarkjs";
import { compileCircuit } from "./circom-compiler.js";
import { CircomToolError } from "./circom-errors.js";
import { CIRCUIT_FILES, CIRCUIT_MANIFEST, type CircuitManifest } from "./circuit-manifest.js";
import { inferenceCircuitSource } from "./inference-circuit-source.js";
import { type PowersOfTau, powersOfTau } from "./powers-of-tau.js";
import { fileSha256, sha256Hex } from "./sha256-hex.js";

const require = createRequire(import.meta.url);

/** What `setupInferenceCircuit` needs: the trained model and where everything goes. */
export interface CircuitSetupOptions {
  /** The artifacts' name, e.g. `mnist-mlp-784-16-10`. */
  readonly name: string;
  readonly spec: ModelSpec;
  /** Flat float32 weights in the spec's layout (SHA-256 of their bytes is the model's ModelRegistry hash). */
  readonly weights: Float32Array;
  /** The artifacts directory written (manifest, model, witness generator, proving and verification keys). */
  readonly outDir: string;
  /** Scratch space for the compiler's output and the intermediate keys. */
  readonly workDir: string;
  /** Where powers-of-tau files are cached between runs (never in a test's path). */
  readonly ptauCacheDir: string;
  /** The generated Solidity verifier's contract name. */
  readonly verifierContract: string;
  /** The exact solc version the verifier's pragma is pinned to (the repository's compiler). */
  readonly solidityVersion: string;
  readonly log?: (line: string) => void;
}

/** What the setup produced. */
export interface CircuitSetup {
  readonly manifest: CircuitManifest;
  /** The snarkjs Groth16 verifier for this circuit, pragma pinned and contract renamed. */
  readonly solidityVerifier: string;
  readonly ptau: PowersOfTau;
}

/** The installed version of `pkg`, from the package.json above its entry point (some packages export no package.json). */
async function versionOf(pkg: string): Promise<string> {
  let dir = path.dirname(require.resolve(pkg));
  for (;;) {
    try {
      const manifest = JSON.parse(await readFile(path.join(dir, "package.json"), "utf8")) as {
        name?: string;
        version: string;
      };
      if (manifest.name === pkg) return manifest.version;
    } catch {
      // No package.json here.
    }
    const parent = path.dirname(dir);
    if (parent === dir) return "unknown";
    dir = parent;
  }
}

/**
 * snarkjs's Groth16 verifier template rendered for `zkey`, with two edits a repository of pinned compilers needs:
 * the pragma pinned to the solc in use (the template says `>=0.7.0 <0.9.0`) and the contract named for the model
 * (several models' verifiers live side by side). Nothing else is changed.
 */
async function solidityVerifier(zkey: string, contract: string, solidityVersion: string): Promise<string> {
  const templates = path.resolve(path.dirname(require.resolve("snarkjs")), "../templates");
  const template = await readFile(path.join(templates, "verifier_groth16.sol.ejs"), "utf8");
  const rendered = await snarkjs.zKey.exportSolidityVerifier(zkey, { groth16: template });
  const pragma = "pragma solidity >=0.7.0 <0.9.0;";
  const declaration = "contract Groth16Verifier {";
  if (!rendered.includes(pragma) || !rendered.includes(declaration)) {
    throw new CircomToolError(
      "export the Solidity verifier",
      "snarkjs's template changed: pragma or contract not found",
    );
  }
  return rendered.replace(pragma, `pragma solidity ${solidityVersion};`).replace(declaration, `contract ${contract} {`);
}

/**
 * The trusted setup of one model's inference circuit, done once per model by whoever registers its verifier:
 * generate the circuit from the quantised model, compile it (circom2), take a powers-of-tau file of the size it needs
 * from the cache or generate one (`powersOfTau`), run Groth16's circuit-specific phase 2 with ONE contribution of
 * OS randomness (snarkjs `zkey new` + `zkey contribute`), export the verification key and the Solidity verifier, and
 * write the artifacts directory `InferenceCircuit.load` reads. A single local contributor is not a ceremony: see
 * `powersOfTau`.
 */
export async function setupInferenceCircuit(options: CircuitSetupOptions): Promise<CircuitSetup> {
  const log = options.log ?? (() => {});
  const model = DeterministicModel.fromFloat(options.spec, options.weights);
  const source = inferenceCircuitSource(model.model, model.modelHash);
  log(`${options.name}: compiling the circuit (circom2)`);
  const compiled = await compileCircuit(options.workDir, "circuit", source.source);
  const info = await snarkjs.r1cs.info(compiled.r1cs);
  const needed = info.nConstraints + info.nPubInputs + info.nOutputs + 1;
  const power = Math.max(8, Math.ceil(Math.log2(needed)));
  log(`${options.name}: ${info.nConstraints} constraints, ${info.nVars} wires: powers of tau 2^${power}`);
  const ptau = await powersOfTau(power, options.ptauCacheDir, log);

  const initial = path.join(options.workDir, "circuit_0000.zkey");
  const final = path.join(options.workDir, "circuit_0001.zkey");
  const curve = await snarkjs.curves.getCurveFromName("bn128");
  let verificationKey: snarkjs.SnarkjsVerificationKey;
  let solidity: string;
  try {
    log(`${options.name}: Groth16 phase 2 (one contribution of OS randomness, discarded)`);
    await snarkjs.zKey.newZKey(compiled.r1cs, ptau.file, initial);
    await snarkjs.zKey.contribute(initial, final, "tributary local", randomBytes(64).toString("hex"));
    verificationKey = await snarkjs.zKey.exportVerificationKey(final);
    solidity = await solidityVerifier(final, options.verifierContract, options.solidityVersion);
  } finally {
    await curve.terminate();
  }

  const out = options.outDir;
  await mkdir(out, { recursive: true });
  const weightBytes = new Uint8Array(options.weights.buffer, options.weights.byteOffset, options.weights.byteLength);
  await writeFile(path.join(out, CIRCUIT_FILES.spec), `${JSON.stringify(options.spec, null, 2)}\n`);
  await writeFile(path.join(out, CIRCUIT_FILES.weights), weightBytes);
  await writeFile(path.join(out, CIRCUIT_FILES.circuit), source.source);
  await copyFile(compiled.wasm, path.join(out, CIRCUIT_FILES.wasm));
  await copyFile(final, path.join(out, CIRCUIT_FILES.zkey));
  await writeFile(path.join(out, CIRCUIT_FILES.verificationKey), `${JSON.stringify(verificationKey, null, 1)}\n`);
  const files = Object.fromEntries(
    await Promise.all(
      Object.values(CIRCUIT_FILES).map(async (file) => [file, await fileSha256(path.join(out, file))] as const),
    ),
  ) as CircuitManifest["files"];
  const manifest: CircuitManifest = {
    format: 1,
    name: options.name,
    modelHash: `0x${sha256Hex(weightBytes)}`,
    quantisedModelHash: model.modelHash,
    activationFractionBits: model.model.activationFractionBits,
    inputSize: source.inputSize,
    outputSize: source.outputSize,
    inputWords: source.inputWords,
    outputWords: source.outputWords,
    constraints: info.nConstraints,
    wires: info.nVars,
    tools: { circom: `circom2 ${await versionOf("circom2")}`, snarkjs: await versionOf("snarkjs") },
    powersOfTau: { power: ptau.power, sha256: ptau.sha256, contributions: 1 },
    verifierContract: options.verifierContract,
    files,
  };
  await writeFile(path.join(out, CIRCUIT_MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`);
  return { manifest, solidityVerifier: solidity, ptau };
}
