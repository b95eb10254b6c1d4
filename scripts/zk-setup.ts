// `npm run zk:setup`: the trusted setup of the inference circuit of the small model Tributary proves on chain, and
// the fixtures its tests use. Run once by whoever registers the verifier; tests and CI never run it.
//
// 1. The model: an MLP 784-16-10 (dense 16 ReLU, dense 10) trained by the platform's own local training
//    (trainer-agent's `trainLocal`, model-runtime's WebAssembly backend, seeded) on 8,000 of the digits the CLI ships,
//    split as `tributary up` splits them. Kept in the artifacts directory; trained only when missing or with
//    `--retrain`.
// 2. `setupInferenceCircuit` (zk-proofs): the circuit generated from the quantised model, compiled with circom2,
//    powers of tau from the cache (`--ptau-cache`, default .tributary/zk/ptau, gitignored) or generated once,
//    Groth16 phase 2 with one contribution of OS randomness; the artifacts go to zk-proofs/artifacts/<name>/ and the
//    snarkjs Solidity verifier to contracts/src/verification/generated/<Contract>.sol.
// 3. "Another model" for the tests that a proof for another model is refused: the same architecture trained with
//    another seed, set up in scratch space; only its model, verification key and one proof of a held-out digit are
//    kept (zk-proofs/test-support/other-model/), its proving key is thrown away.
//
// A local setup with one contributor is NOT a trusted ceremony: whoever ran it could forge proofs (docs/architecture.md).
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import { parseArgs } from "node:util";
import { DeterministicModel } from "@tributary/deterministic-inference";
import { buildModel, getFlatWeights, initTrainingBackend } from "@tributary/model-runtime";
import { type ModelSpec, ModelSpecSchema, SeededRandom } from "@tributary/protocol";
import { loadMnistPackage, subsetDataset, trainLocal } from "@tributary/trainer-agent";
import { CIRCUIT_FILES, InferenceCircuit, setupInferenceCircuit } from "@tributary/zk-proofs";

const root = path.resolve(import.meta.dirname, "..");
const require = createRequire(import.meta.url);
const { values: flags } = parseArgs({
  options: {
    retrain: { type: "boolean", default: false },
    "ptau-cache": { type: "string", default: path.join(root, ".tributary/zk/ptau") },
    "skip-other": { type: "boolean", default: false },
  },
});

const NAME = "mnist-mlp-784-16-10";
const CONTRACT = "MnistMlp784x16x10Groth16Verifier";
const ARTIFACTS = path.join(root, "zk-proofs/artifacts", NAME);
const OTHER = path.join(root, "zk-proofs/test-support/other-model");
const WORK = path.join(root, ".tributary/zk/work");

const MLP_784_16_10: ModelSpec = ModelSpecSchema.parse({
  inputShape: [784],
  layers: [
    { type: "dense", units: 16, activation: "relu" },
    { type: "dense", units: 10, activation: "softmax" },
  ],
  loss: "sparseCategoricalCrossentropy",
  numClasses: 10,
});

const log = (line: string) => console.log(`[zk:setup ${new Date().toISOString().slice(11, 19)}] ${line}`);

function digits() {
  const all = loadMnistPackage();
  const order = new SeededRandom("tributary-demo-mnist").shuffle(Int32Array.from({ length: all.count }, (_, i) => i));
  const scaled = (indices: Int32Array) => {
    const data = subsetDataset(all, indices);
    return { ...data, inputs: Float32Array.from(data.features, (v) => v * data.featureScale) };
  };
  return { train: subsetDataset(all, order.subarray(0, 8000)), heldOut: scaled(order.subarray(8000)) };
}

async function train(seed: number, data: ReturnType<typeof digits>): Promise<Float32Array> {
  const model = buildModel(MLP_784_16_10, { seed });
  await trainLocal({ model, dataset: data.train, epochs: 5, batchSize: 32, learningRate: 0.1, seed });
  const weights = getFlatWeights(model);
  model.dispose();
  return weights;
}

function accuracy(weights: Float32Array, data: ReturnType<typeof digits>["heldOut"]): number {
  const model = DeterministicModel.fromFloat(MLP_784_16_10, weights);
  const logits = model.infer(data.inputs).logits;
  let correct = 0;
  for (let e = 0; e < data.count; e++) {
    let best = 0;
    for (let j = 1; j < 10; j++) if ((logits[e * 10 + j] as number) > (logits[e * 10 + best] as number)) best = j;
    if (best === data.labels[e]) correct++;
  }
  return correct / data.count;
}

async function weightsFor(dir: string, seed: number, data: ReturnType<typeof digits>): Promise<Float32Array> {
  const file = path.join(dir, CIRCUIT_FILES.weights);
  if (!flags.retrain) {
    try {
      const bytes = await readFile(file);
      log(`${path.relative(root, file)}: reusing the trained weights`);
      return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
    } catch {
      // Not trained yet.
    }
  }
  log(`training MLP 784-16-10 (seed ${seed}) on 8,000 digits`);
  return train(seed, data);
}

async function main() {
  await initTrainingBackend({ prefer: ["wasm"], log: () => {} });
  const data = digits();
  const solidityVersion = (require("solc/package.json") as { version: string }).version;
  const ptauCacheDir = path.resolve(flags["ptau-cache"]);

  const weights = await weightsFor(ARTIFACTS, 7, data);
  log(`fixed-point accuracy on the 2,000 held-out digits: ${(accuracy(weights, data.heldOut) * 100).toFixed(2)}%`);
  const started = performance.now();
  const setup = await setupInferenceCircuit({
    name: NAME,
    spec: MLP_784_16_10,
    weights,
    outDir: ARTIFACTS,
    workDir: path.join(WORK, NAME),
    ptauCacheDir,
    verifierContract: CONTRACT,
    solidityVersion,
    log,
  });
  const verifierFile = path.join(root, "contracts/src/verification/generated", `${CONTRACT}.sol`);
  await mkdir(path.dirname(verifierFile), { recursive: true });
  await writeFile(verifierFile, setup.solidityVerifier);
  log(
    `${NAME}: ${setup.manifest.constraints} constraints, powers of tau 2^${setup.ptau.power} (${setup.ptau.generated ? "generated" : "cached"}), setup ${((performance.now() - started) / 1000).toFixed(0)} s`,
  );
  log(`wrote ${path.relative(root, ARTIFACTS)}/ and ${path.relative(root, verifierFile)}`);

  if (flags["skip-other"]) return;
  const otherWeights = await weightsFor(OTHER, 8, data);
  const scratch = path.join(WORK, "other-model");
  await setupInferenceCircuit({
    name: "other-mnist-mlp-784-16-10",
    spec: MLP_784_16_10,
    weights: otherWeights,
    outDir: scratch,
    workDir: path.join(WORK, "other-model-build"),
    ptauCacheDir,
    verifierContract: "OtherModelGroth16Verifier",
    solidityVersion,
    log,
  });
  const other = await InferenceCircuit.load(scratch);
  const digit = data.heldOut.inputs.subarray(0, 784);
  const proof = await other.prove(digit);
  if (!(await other.verify(proof)).verified) throw new Error("the other model's proof does not verify");
  await mkdir(OTHER, { recursive: true });
  for (const file of [CIRCUIT_FILES.spec, CIRCUIT_FILES.weights, CIRCUIT_FILES.verificationKey]) {
    await writeFile(path.join(OTHER, file), await readFile(path.join(scratch, file)));
  }
  await writeFile(path.join(OTHER, "proof.json"), `${JSON.stringify(proof, null, 1)}\n`);
  await rm(path.join(scratch, CIRCUIT_FILES.zkey), { force: true });
  log(`wrote ${path.relative(root, OTHER)}/ (the other model's proving key is discarded)`);
}

await main();
process.exit(0);
