import { readFile } from "node:fs/promises";
import path from "node:path";
import { deployInferenceVerifier } from "@tributary/contracts/deploy-inference-verifier";
import { deterministicResponseHash } from "@tributary/deterministic-inference";
import { loadMnistPackage } from "@tributary/trainer-agent";
import {
  type ExampleProof,
  InferenceCircuit,
  type InferenceProof,
  InferenceProofSchema,
  packValues,
  proofCalldata,
  SHIPPED_CIRCUITS_DIR,
} from "@tributary/zk-proofs";
import { ethers, units } from "./system.js";
import { verifierFixture } from "./verifier.js";

/** The shipped circuit of the MLP 784-16-10 and the other model's fixtures (zk-proofs/test-support/other-model). */
export const CIRCUIT_DIR = path.join(SHIPPED_CIRCUITS_DIR, "mnist-mlp-784-16-10");
export const OTHER_MODEL_DIR = path.resolve(import.meta.dirname, "../../../zk-proofs/test-support/other-model");

/** Digits as the models take them: 784 pixels in [0, 1], one example after another. */
export function digits(indices: readonly number[]): Float32Array {
  const all = loadMnistPackage();
  const out = new Float32Array(indices.length * 784);
  indices.forEach((index, e) => {
    for (let i = 0; i < 784; i++) out[e * 784 + i] = (all.features[index * 784 + i] as number) * all.featureScale;
  });
  return out;
}

export async function otherModelProof(): Promise<InferenceProof> {
  return InferenceProofSchema.parse(JSON.parse(await readFile(path.join(OTHER_MODEL_DIR, "proof.json"), "utf8")));
}

/** The proof with its first example's public signals replaced (calldata re-encoded): what a forger would send. */
export function withSignals(proof: InferenceProof, signals: (words: bigint[]) => bigint[]): InferenceProof {
  const copy = structuredClone(proof);
  const example = copy.examples[0] as ExampleProof;
  example.publicSignals = signals(example.publicSignals.map(BigInt)).map(String);
  return { ...copy, calldata: proofCalldata(copy.examples) };
}

/** The logits word of a proof replaced by `logits` (packed as the circuit packs them). */
export function withLogits(proof: InferenceProof, logits: readonly number[]): InferenceProof {
  return withSignals(proof, ([, ...inputs]) => [packValues(Int32Array.from(logits))[0] as bigint, ...inputs]);
}

/** The response hash of `logits` for a request (deterministic-inference's canonical response). */
export function responseFor(requestHash: string, logits: readonly number[]): string {
  return deterministicResponseHash(requestHash as `0x${string}`, 10, Int32Array.from(logits));
}

/**
 * The verifier fixture with the shipped model registered (id 1, its real modelHash; the mock registration of
 * `verifierFixture` is model 1 too, so this registers model 2 with the real hash) and its Groth16 proof verifier
 * deployed and set by governance.
 */
export async function zkFixture(circuit: InferenceCircuit) {
  const f = await verifierFixture();
  const { models, verifier, provider, usdc, gov } = f;
  await models.connect(provider).registerModel({
    modelHash: circuit.manifest.modelHash,
    modelURI: "bafkmlp784x16x10",
    endpoint: "https://provider.example",
    pricePerToken: 1n,
    licensePrice: 0n,
    paymentToken: usdc.target,
    jobId: 0n,
    stake: units(1_000),
  });
  const zk = await deployInferenceVerifier(ethers, gov, circuit.manifest);
  await verifier.connect(gov).setProofVerifier(2n, zk);
  return { ...f, zk, modelId: 2n };
}

export async function loadCircuit(): Promise<InferenceCircuit> {
  return InferenceCircuit.load(CIRCUIT_DIR);
}
