import { readFile } from "node:fs/promises";
import path from "node:path";
import {
  DeterministicModel,
  deterministicRequestHash,
  deterministicResponseHash,
} from "@tributary/deterministic-inference";
import { type Bytes32, ModelSpecSchema, parseInput } from "@tributary/protocol";
import { WitnessCalculatorBuilder } from "circom_runtime";
import * as snarkjs from "snarkjs";
import { CircomToolError, CircuitArtifactsError, CircuitInputError } from "./circom-errors.js";
import { CIRCUIT_FILES, CIRCUIT_MANIFEST, type CircuitManifest, CircuitManifestSchema } from "./circuit-manifest.js";
import {
  type Groth16VerificationKey,
  Groth16VerificationKeySchema,
  verifyExampleProof,
} from "./groth16-verification.js";
import { inferenceCircuitSource } from "./inference-circuit-source.js";
import { type ExampleProof, type InferenceProof, proofCalldata } from "./inference-proof.js";
import { packValues, unpackValues } from "./packed-values.js";
import { fileSha256, sha256Hex } from "./sha256-hex.js";

/** Whether a proof of inference holds, and if not, the first reason found. */
export interface InferenceVerification {
  readonly verified: boolean;
  readonly reason?: string;
}

function parseJson(bytes: Uint8Array, file: string): unknown {
  try {
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch (error) {
    throw new CircuitArtifactsError(file, `not JSON (${(error as Error).message})`);
  }
}

/**
 * One model's inference circuit, from the artifacts directory the setup wrote (`npm run zk:setup`): the model (its
 * spec and float weights, quantised here with deterministic-inference), the circuit's witness generator and proving
 * key, and its verification key. `load` checks every file against the manifest's SHA-256, the model against the
 * manifest's two hashes, and regenerates the circuit's source from the model to compare it with the one the keys
 * were made for, so artifacts for another model are refused before anything is proved.
 */
export class InferenceCircuit {
  readonly dir: string;
  readonly manifest: CircuitManifest;
  readonly model: DeterministicModel;
  readonly verificationKey: Groth16VerificationKey;
  readonly #wasm: Uint8Array;
  #witnessCalculator:
    | Promise<{ calculateWitness(input: unknown, sanityCheck: boolean): Promise<bigint[]> }>
    | undefined;

  private constructor(
    dir: string,
    manifest: CircuitManifest,
    model: DeterministicModel,
    verificationKey: Groth16VerificationKey,
    wasm: Uint8Array,
  ) {
    this.dir = dir;
    this.manifest = manifest;
    this.model = model;
    this.verificationKey = verificationKey;
    this.#wasm = wasm;
  }

  static async load(dir: string): Promise<InferenceCircuit> {
    const read = async (file: string) => {
      try {
        return new Uint8Array(await readFile(path.join(dir, file)));
      } catch (error) {
        throw new CircuitArtifactsError(path.join(dir, file), "cannot be read", { cause: String(error) });
      }
    };
    const manifest = parseInput(
      CircuitManifestSchema,
      parseJson(await read(CIRCUIT_MANIFEST), CIRCUIT_MANIFEST),
      CIRCUIT_MANIFEST,
    );
    const files: Partial<Record<string, Uint8Array>> = {};
    for (const file of Object.values(CIRCUIT_FILES)) {
      if (file === CIRCUIT_FILES.zkey) continue; // large: checked when proving
      const bytes = await read(file);
      const digest = sha256Hex(bytes);
      if (digest !== manifest.files[file]) {
        throw new CircuitArtifactsError(file, "its SHA-256 is not the manifest's", {
          expected: manifest.files[file],
          actual: digest,
        });
      }
      files[file] = bytes;
    }
    const bytesOf = (file: string) => files[file] as Uint8Array;
    const spec = parseInput(
      ModelSpecSchema,
      parseJson(bytesOf(CIRCUIT_FILES.spec), CIRCUIT_FILES.spec),
      CIRCUIT_FILES.spec,
    );
    const weightBytes = bytesOf(CIRCUIT_FILES.weights);
    if (`0x${sha256Hex(weightBytes)}` !== manifest.modelHash) {
      throw new CircuitArtifactsError(CIRCUIT_FILES.weights, "does not hash to the manifest's modelHash");
    }
    const weights = new Float32Array(weightBytes.slice().buffer);
    const model = DeterministicModel.fromFloat(spec, weights, {
      activationFractionBits: manifest.activationFractionBits,
    });
    if (model.modelHash !== manifest.quantisedModelHash) {
      throw new CircuitArtifactsError(CIRCUIT_FILES.weights, "quantises to another model than the manifest's", {
        expected: manifest.quantisedModelHash,
        actual: model.modelHash,
      });
    }
    const source = inferenceCircuitSource(model.model, model.modelHash);
    if (source.source !== new TextDecoder().decode(bytesOf(CIRCUIT_FILES.circuit))) {
      throw new CircuitArtifactsError(CIRCUIT_FILES.circuit, "is not the circuit this model generates");
    }
    if (source.inputWords !== manifest.inputWords || source.outputWords !== manifest.outputWords) {
      throw new CircuitArtifactsError(CIRCUIT_MANIFEST, "public signal counts disagree with the circuit");
    }
    const verificationKey: Groth16VerificationKey = parseInput(
      Groth16VerificationKeySchema,
      parseJson(bytesOf(CIRCUIT_FILES.verificationKey), CIRCUIT_FILES.verificationKey),
      CIRCUIT_FILES.verificationKey,
    );
    if (
      verificationKey.protocol !== "groth16" ||
      verificationKey.nPublic !== manifest.inputWords + manifest.outputWords
    ) {
      throw new CircuitArtifactsError(
        CIRCUIT_FILES.verificationKey,
        "is not a Groth16 key for this circuit's public signals",
      );
    }
    return new InferenceCircuit(dir, manifest, model, verificationKey, bytesOf(CIRCUIT_FILES.wasm));
  }

  get inputSize(): number {
    return this.manifest.inputSize;
  }

  get outputSize(): number {
    return this.manifest.outputSize;
  }

  /**
   * The circuit's logits for one example's quantised inputs, from its witness alone (no proof): what the circuit
   * computes, to compare with the library. Throws `CircomToolError` when no witness satisfies the constraints.
   */
  async circuitLogits(inputs: Int32Array): Promise<Int32Array> {
    this.#checkExample(inputs);
    this.#witnessCalculator ??= WitnessCalculatorBuilder(this.#wasm, { sanityCheck: true });
    const calculator = await this.#witnessCalculator;
    let witness: bigint[];
    try {
      witness = await calculator.calculateWitness({ packedInputs: packValues(inputs) }, true);
    } catch (error) {
      throw new CircomToolError("compute the witness", (error as Error).message, error);
    }
    return unpackValues(witness.slice(1, 1 + this.manifest.outputWords), this.outputSize);
  }

  /**
   * Proves the model's answer to whole examples of float32 inputs (quantised as deterministic-inference does):
   * one Groth16 proof per example, each checked to prove exactly the library's logits (a disagreement would be a
   * bug in the circuit and throws), with the request's and response's hashes and the verifier's calldata.
   */
  async prove(floats: Float32Array): Promise<InferenceProof> {
    if (floats.length === 0 || floats.length % this.inputSize !== 0) {
      throw new CircuitInputError(`${floats.length} values are not whole examples of ${this.inputSize}`, {
        length: floats.length,
        inputSize: this.inputSize,
      });
    }
    const answer = this.model.infer(floats);
    const examples: ExampleProof[] = [];
    const zkey = path.join(this.dir, CIRCUIT_FILES.zkey);
    await this.#checkZkey(zkey);
    for (let e = 0; e < answer.count; e++) {
      const inputs = answer.inputs.subarray(e * this.inputSize, (e + 1) * this.inputSize);
      let result: Awaited<ReturnType<typeof snarkjs.groth16.fullProve>>;
      try {
        result = await snarkjs.groth16.fullProve(
          { packedInputs: packValues(inputs).map(String) },
          { type: "mem", data: this.#wasm },
          zkey,
        );
      } catch (error) {
        throw new CircomToolError("prove", (error as Error).message, error);
      }
      const logits = answer.logits.subarray(e * this.outputSize, (e + 1) * this.outputSize);
      const proved = unpackValues(
        result.publicSignals.slice(0, this.manifest.outputWords).map(BigInt),
        this.outputSize,
      );
      if (!proved.every((value, j) => value === logits[j])) {
        throw new CircomToolError("prove", `the circuit's logits for example ${e} are not the library's`);
      }
      examples.push({ proof: result.proof as ExampleProof["proof"], publicSignals: result.publicSignals });
    }
    return {
      format: 1,
      modelHash: this.manifest.modelHash,
      quantisedModelHash: this.manifest.quantisedModelHash,
      requestHash: answer.requestHash,
      responseHash: answer.responseHash,
      count: answer.count,
      logits: Array.from(answer.logits),
      examples,
      calldata: proofCalldata(examples),
    };
  }

  /**
   * Checks a proof of inference as the chain does, in Node: the model, the request and response hashes rebuilt
   * from the public signals, the calldata, then each example's Groth16 proof against the verification key.
   */
  async verify(proof: InferenceProof): Promise<InferenceVerification> {
    const { manifest } = this;
    if (proof.modelHash !== manifest.modelHash || proof.quantisedModelHash !== manifest.quantisedModelHash) {
      return { verified: false, reason: `the proof is for model ${proof.modelHash}, not ${manifest.modelHash}` };
    }
    const signals = manifest.outputWords + manifest.inputWords;
    if (proof.examples.length !== proof.count || proof.examples.some((e) => e.publicSignals.length !== signals)) {
      return { verified: false, reason: `each of the ${proof.count} examples must have ${signals} public signals` };
    }
    const inputs = new Int32Array(proof.count * this.inputSize);
    const logits = new Int32Array(proof.count * this.outputSize);
    proof.examples.forEach((example, e) => {
      const words = example.publicSignals.map(BigInt);
      logits.set(unpackValues(words.slice(0, manifest.outputWords), this.outputSize), e * this.outputSize);
      inputs.set(unpackValues(words.slice(manifest.outputWords), this.inputSize), e * this.inputSize);
    });
    const requestHash: Bytes32 = deterministicRequestHash(manifest.quantisedModelHash, this.inputSize, inputs);
    if (requestHash !== proof.requestHash)
      return { verified: false, reason: "the public inputs are not the request's" };
    if (deterministicResponseHash(requestHash, this.outputSize, logits) !== proof.responseHash) {
      return { verified: false, reason: "the public logits are not the response's" };
    }
    if (!logits.every((value, i) => value === proof.logits[i]) || proof.logits.length !== logits.length) {
      return { verified: false, reason: "the logits listed are not the proved ones" };
    }
    if (proofCalldata(proof.examples) !== proof.calldata) {
      return { verified: false, reason: "the calldata is not the proofs' encoding" };
    }
    for (const [e, example] of proof.examples.entries()) {
      if (!(await verifyExampleProof(this.verificationKey, example))) {
        return { verified: false, reason: `example ${e}: the Groth16 proof does not verify` };
      }
    }
    return { verified: true };
  }

  #checkExample(inputs: Int32Array): void {
    if (inputs.length !== this.inputSize) {
      throw new CircuitInputError(`one example has ${this.inputSize} values, not ${inputs.length}`, {
        length: inputs.length,
      });
    }
  }

  async #checkZkey(zkey: string): Promise<void> {
    const digest = await fileSha256(zkey);
    if (digest !== this.manifest.files[CIRCUIT_FILES.zkey]) {
      throw new CircuitArtifactsError(CIRCUIT_FILES.zkey, "its SHA-256 is not the manifest's", { actual: digest });
    }
  }
}
