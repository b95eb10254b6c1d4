import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import {
  ACTIVATION_LIMIT,
  deterministicRequestHash,
  deterministicResponseHash,
  quantiseInputs,
} from "@tributary/deterministic-inference";
import { SeededRandom } from "@tributary/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CircuitArtifactsError } from "./circom-errors.js";
import { CIRCUIT_FILES } from "./circuit-manifest.js";
import { InferenceCircuit } from "./inference-circuit.js";
import { type ExampleProof, type InferenceProof, proofCalldata } from "./inference-proof.js";
import { packValues } from "./packed-values.js";
import { SHIPPED_CIRCUITS_DIR } from "./shipped-circuits.js";

// The shipped circuit of the MLP 784-16-10 (zk-proofs/artifacts, written by `npm run zk:setup`) against the second
// implementation of the same arithmetic, deterministic-inference's FixedPointRunner (itself checked against a BigInt
// reference and hand-computed cases).
const DIR = path.join(SHIPPED_CIRCUITS_DIR, "mnist-mlp-784-16-10");
let circuit: InferenceCircuit;
let proof: InferenceProof;
let input: Float32Array;
let scratch: string;

function inputs(random: SeededRandom, kind: "pixels" | "wide" | "extreme" | "sparse"): Float32Array {
  const limit = ACTIVATION_LIMIT / 4096;
  return Float32Array.from({ length: 784 }, () => {
    const u = random.nextFloat();
    if (kind === "pixels") return Math.round(u * 255) / 255;
    if (kind === "wide") return (u - 0.5) * 6000;
    if (kind === "extreme") return u < 0.5 ? -limit * 2 : limit * 2;
    return u < 0.9 ? 0 : random.nextFloat();
  });
}

beforeAll(async () => {
  circuit = await InferenceCircuit.load(DIR);
  input = inputs(new SeededRandom("zk proof"), "pixels");
  proof = await circuit.prove(input);
  scratch = await mkdtemp(path.join(tmpdir(), "tributary-circuit-artifacts-"));
});

afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

describe("the MLP 784-16-10 inference circuit", () => {
  it("computes deterministic-inference's logits, bit for bit, on random inputs across the whole range", async () => {
    const random = new SeededRandom("circuit against the library");
    let saturated = 0;
    for (const kind of ["pixels", "wide", "extreme", "sparse"] as const) {
      for (let n = 0; n < 6; n++) {
        const quantised = quantiseInputs(circuit.model.model, inputs(random, kind));
        const library = circuit.model.run(quantised);
        expect(Array.from(await circuit.circuitLogits(quantised))).toEqual(Array.from(library));
        saturated += library.filter((v) => Math.abs(v) === ACTIVATION_LIMIT).length;
      }
    }
    expect(saturated).toBeGreaterThan(0); // the wide and extreme inputs reach the saturation branch
  });

  it("proves an answer whose hashes are the library's and which verifies in Node", async () => {
    const answer = circuit.model.infer(input);
    expect(proof.requestHash).toBe(answer.requestHash);
    expect(proof.responseHash).toBe(answer.responseHash);
    expect(proof.logits).toEqual(Array.from(answer.logits));
    expect(proof.calldata.length).toBe(2 + 64 * (8 + 80));
    expect(await circuit.verify(proof)).toEqual({ verified: true });
  });

  it("does not verify a proof for other inputs, even with every hash recomputed for them", async () => {
    const other = quantiseInputs(circuit.model.model, input);
    other[100] = (other[100] as number) + 1;
    const requestHash = deterministicRequestHash(proof.quantisedModelHash, 784, other);
    const retargeted = structuredClone(proof);
    const example = retargeted.examples[0] as ExampleProof;
    example.publicSignals = [example.publicSignals[0] as string, ...packValues(other).map(String)];
    Object.assign(retargeted, {
      requestHash,
      responseHash: deterministicResponseHash(requestHash, 10, Int32Array.from(proof.logits)),
      calldata: proofCalldata(retargeted.examples),
    });
    expect(await circuit.verify(retargeted)).toEqual({
      verified: false,
      reason: "example 0: the Groth16 proof does not verify",
    });
  });

  it("does not verify a proof whose response or proof points were altered", async () => {
    const wrongResponse = { ...proof, responseHash: `0x${"11".repeat(32)}` as const };
    expect(await circuit.verify(wrongResponse)).toEqual({
      verified: false,
      reason: "the public logits are not the response's",
    });
    const moved = structuredClone(proof);
    const points = (moved.examples[0] as ExampleProof).proof;
    points.pi_a[0] = (BigInt(points.pi_a[0] as string) + 1n).toString();
    moved.calldata = proofCalldata(moved.examples);
    expect(await circuit.verify(moved)).toMatchObject({ verified: false });
  });

  it("refuses to load artifacts whose weights are not the manifest's", async () => {
    const copy = path.join(scratch, "tampered");
    await cp(DIR, copy, { recursive: true });
    const weights = await readFile(path.join(copy, CIRCUIT_FILES.weights));
    weights[17] = (weights[17] as number) ^ 1;
    await writeFile(path.join(copy, CIRCUIT_FILES.weights), weights);
    await expect(InferenceCircuit.load(copy)).rejects.toThrow(CircuitArtifactsError);
    await expect(InferenceCircuit.load(copy)).rejects.toThrow(/weights.f32: its SHA-256 is not the manifest's/);
  });
});
