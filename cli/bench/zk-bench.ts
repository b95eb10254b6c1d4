/**
 * `npm run bench:zk`: what proving inference costs. On the shipped circuit of the MLP 784-16-10 (circom 2, Groth16,
 * snarkjs; zk-proofs/artifacts/mnist-mlp-784-16-10): the time to prove one digit (witness + Groth16 proof, snarkjs's
 * worker threads) and the peak memory of a process that only proves, measured in a child process; verification in
 * Node (snarkjs); and the gas of `OptimisticVerifier.resolveWithProof` on the local chain with the generated
 * verifier, against the same call with the mock proof verifier (the dispute machinery without a proof) as the
 * baseline. Then EZKL's prove and verify times on the shared test artifacts (test/vectors/ezkl), and deterministic
 * (fixed-point) inference throughput against float inference (tfjs, model-runtime's WebAssembly backend) of the same
 * models (the 784-16-10 and the platform's MLP 784-200-200-10) on the same 256 digits, one thread. Prints a table, then
 * one JSON line. `--proofs N` sets the proofs timed (default 3).
 */
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import type { ModelSpecInput } from "@tributary/protocol";
import {
  EzklInputSchema,
  InferenceCircuit,
  type InferenceProof,
  loadEzklArtifacts,
  parseJsonFile,
  releaseProverThreads,
  SHIPPED_CIRCUITS_DIR,
  timeEzklProof,
  verifyExampleProof,
} from "@tributary/zk-proofs";

// The chain, tfjs and the digits are imported where they are used, so the child that measures the memory of proving
// loads only zk-proofs.
const CIRCUIT_DIR = path.join(SHIPPED_CIRCUITS_DIR, "mnist-mlp-784-16-10");
const EZKL_DIR = path.resolve(import.meta.dirname, "../../test/vectors/ezkl");
const flag = (name: string, fallback: number) => {
  const at = process.argv.indexOf(name);
  return at > 0 ? Number(process.argv[at + 1]) : fallback;
};
const PROOFS = flag("--proofs", 3);

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;

async function digits(count: number): Promise<Float32Array> {
  const { loadMnistPackage } = await import("@tributary/trainer-agent");
  const all = loadMnistPackage();
  return Float32Array.from(all.features.subarray(0, count * 784), (v) => v * all.featureScale);
}

/**
 * In a child that loads only zk-proofs: load the circuit, prove the digit in `file` once (cold: worker threads and
 * the witness generator start here), print {proveMs, rssBeforeMb, peakRssMb}.
 */
async function childProve(file: string): Promise<void> {
  const circuit = await InferenceCircuit.load(CIRCUIT_DIR);
  const input = Float32Array.from(JSON.parse(await readFile(file, "utf8")) as number[]);
  const before = process.memoryUsage().rss;
  const start = performance.now();
  await circuit.prove(input);
  const proveMs = performance.now() - start;
  await releaseProverThreads();
  const mb = (bytes: number) => Math.round(bytes / 2 ** 20);
  console.log(
    JSON.stringify({ proveMs, rssBeforeMb: mb(before), peakRssMb: mb(process.resourceUsage().maxRSS * 1024) }),
  );
}

async function proveInChild(input: Float32Array): Promise<{ proveMs: number; rssBeforeMb: number; peakRssMb: number }> {
  const dir = await mkdtemp(path.join(tmpdir(), "tributary-zk-bench-"));
  const file = path.join(dir, "digit.json");
  await writeFile(file, JSON.stringify(Array.from(input)));
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [...process.execArgv, process.argv[1] as string, "--child", file],
    {
      maxBuffer: 1 << 20,
    },
  );
  await rm(dir, { recursive: true, force: true });
  return JSON.parse(stdout.trim().split("\n").at(-1) as string);
}

/** Gas of resolveWithProof with the circuit's verifier, and with the mock verifier (baseline), on a fresh chain. */
async function resolveGas(circuit: InferenceCircuit, proof: InferenceProof) {
  const { LocalChain } = await import("@tributary/contracts/local-chain");
  const { deployInferenceVerifier } = await import("@tributary/contracts/deploy-inference-verifier");
  const { parseEther } = await import("ethers");
  const chain = await LocalChain.start();
  try {
    const { ethers, deployer, system } = chain;
    const [, provider, buyer, challenger] = chain.accounts as [
      never,
      typeof deployer,
      typeof deployer,
      typeof deployer,
    ];
    const { token, staking, models, verifier } = system.contracts;
    for (const who of [provider, buyer, challenger])
      await (await token.transfer(who.address, parseEther("10000"))).wait();
    await (await token.connect(provider).approve(staking, parseEther("5000"))).wait();
    await (await staking.connect(provider).stake(parseEther("5000"))).wait();
    const register = async (modelHash: string) => {
      await (
        await models.connect(provider).registerModel({
          modelHash,
          modelURI: "bench",
          endpoint: "http://127.0.0.1",
          pricePerToken: 1n,
          licensePrice: 0n,
          paymentToken: token.target,
          jobId: 0n,
          stake: parseEther("1000"),
        })
      ).wait();
      return models.modelCount();
    };
    const zkModel = await register(circuit.manifest.modelHash);
    const zk = await deployInferenceVerifier(ethers, deployer, circuit.manifest);
    await (await verifier.setProofVerifier(zkModel, zk)).wait();
    const mockModel = await register(ethers.id("mock weights"));
    const mock = await ethers.deployContract("MockProofVerifier", [], deployer);
    await (await verifier.setProofVerifier(mockModel, mock)).wait();
    await (await token.connect(buyer).approve(verifier, ethers.MaxUint256)).wait();
    await (await token.connect(challenger).approve(verifier, ethers.MaxUint256)).wait();

    const dispute = async (modelId: bigint, requestHash: string, responseHash: string) => {
      await (await verifier.connect(buyer).createTask(modelId, requestHash, token, parseEther("1"))).wait();
      const taskId = await verifier.taskCount();
      await (await verifier.connect(provider).submitResult(taskId, responseHash)).wait();
      await (await verifier.connect(challenger).dispute(taskId, ethers.id("wrong"))).wait();
      return taskId;
    };
    const zkTask = await dispute(zkModel, proof.requestHash, proof.responseHash);
    const zkReceipt = await (await verifier.resolveWithProof(zkTask, proof.responseHash, proof.calldata)).wait();
    const mockProof = ethers.AbiCoder.defaultAbiCoder().encode(
      ["bytes32"],
      [
        ethers.keccak256(
          ethers.AbiCoder.defaultAbiCoder().encode(
            ["bytes32", "bytes32", "bytes32"],
            [ethers.id("mock weights"), proof.requestHash, proof.responseHash],
          ),
        ),
      ],
    );
    const mockTask = await dispute(mockModel, proof.requestHash, proof.responseHash);
    const mockReceipt = await (await verifier.resolveWithProof(mockTask, proof.responseHash, mockProof)).wait();
    const checkGas = await zk.check.estimateGas(
      circuit.manifest.modelHash,
      proof.requestHash,
      proof.responseHash,
      proof.calldata,
    );
    return { zk: zkReceipt?.gasUsed ?? 0n, mock: mockReceipt?.gasUsed ?? 0n, check: checkGas };
  } finally {
    await chain.stop();
  }
}

/** Examples per second of `run` over `batch`, median of 5 rounds of about half a second. */
function throughput(count: number, run: () => void): number {
  run();
  const rates: number[] = [];
  for (let round = 0; round < 5; round++) {
    let done = 0;
    const start = performance.now();
    while (performance.now() - start < 500) {
      run();
      done += count;
    }
    rates.push((done * 1000) / (performance.now() - start));
  }
  return median(rates);
}

/**
 * Examples per second of deterministic (fixed-point) inference and of float inference in tfjs (WebAssembly backend)
 * on `batch` (256 digits), for the shipped 784-16-10 and for the platform's MLP 784-200-200-10 (freshly initialised
 * weights: speed does not depend on their values).
 */
async function inferenceRates(batch: Float32Array) {
  const tf = await import("@tensorflow/tfjs-core");
  const { buildModel, getFlatWeights, initTrainingBackend, setFlatWeights } = await import("@tributary/model-runtime");
  const { DeterministicModel } = await import("@tributary/deterministic-inference");
  const { MLP_784_200_200_10, ModelSpecSchema } = await import("@tributary/protocol");
  await initTrainingBackend({ prefer: ["wasm"], log: () => {} });
  const count = batch.length / 784;
  const measure = (spec: ModelSpecInput, weights: Float32Array | undefined) => {
    const logits = ModelSpecSchema.parse({
      ...spec,
      layers: spec.layers.map((layer, i) =>
        i === spec.layers.length - 1 ? { ...layer, activation: "linear" } : layer,
      ),
    });
    const model = buildModel(logits, { seed: 1 });
    if (weights !== undefined) setFlatWeights(model, weights);
    const fixed = DeterministicModel.fromFloat(spec, getFlatWeights(model));
    const fixedRate = throughput(count, () => fixed.infer(batch));
    const floatRate = throughput(count, () =>
      tf.tidy(() => (model.predict(tf.tensor(batch, [count, 784])) as InstanceType<typeof tf.Tensor>).dataSync()),
    );
    model.dispose();
    return { fixed: fixedRate, float: floatRate };
  };
  const spec = JSON.parse(await readFile(path.join(CIRCUIT_DIR, "model-spec.json"), "utf8")) as ModelSpecInput;
  const bytes = await readFile(path.join(CIRCUIT_DIR, "weights.f32"));
  const weights = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  return { small: measure(spec, weights), large: measure(MLP_784_200_200_10, undefined) };
}

async function main() {
  const childAt = process.argv.indexOf("--child");
  if (childAt > 0) return childProve(process.argv[childAt + 1] as string);
  const circuit = await InferenceCircuit.load(CIRCUIT_DIR);
  const { manifest } = circuit;

  const input = await digits(1);
  const child = await proveInChild(input);
  const proveTimes: number[] = [];
  let proof: InferenceProof | undefined;
  for (let i = 0; i < PROOFS; i++) {
    const start = performance.now();
    proof = await circuit.prove(input);
    proveTimes.push(performance.now() - start);
  }
  if (proof === undefined) throw new Error("--proofs must be at least 1");
  const example = proof.examples[0] as InferenceProof["examples"][number];
  const verifyTimes: number[] = [];
  for (let i = 0; i < 5; i++) {
    const start = performance.now();
    if (!(await verifyExampleProof(circuit.verificationKey, example))) throw new Error("the proof does not verify");
    verifyTimes.push(performance.now() - start);
  }
  await releaseProverThreads();
  const gas = await resolveGas(circuit, proof);

  const ezklArtifacts = await loadEzklArtifacts(EZKL_DIR);
  const ezklInput = parseJsonFile(EzklInputSchema, await readFile(path.join(EZKL_DIR, "input.json")), "input.json");
  const ezkl = timeEzklProof(ezklArtifacts, ezklInput);

  const batch = await digits(256);
  const rates = await inferenceRates(batch);
  const proveMs = median(proveTimes);
  const verifyMs = median(verifyTimes);
  const rows: [string, string][] = [
    [
      "circuit",
      `MLP 784-16-10, ${manifest.constraints} constraints, ${manifest.wires} wires, 2^${manifest.powersOfTau.power} powers of tau`,
    ],
    [
      "prove one digit (witness + Groth16, snarkjs)",
      `${(proveMs / 1000).toFixed(2)} s (median of ${PROOFS}; child process ${(child.proveMs / 1000).toFixed(2)} s)`,
    ],
    ["peak memory of a process that proves", `${child.peakRssMb} MiB (${child.rssBeforeMb} MiB before proving)`],
    ["verify in Node (snarkjs)", `${verifyMs.toFixed(1)} ms`],
    ["resolveWithProof gas, Groth16 verifier", gas.zk.toString()],
    ["resolveWithProof gas, mock verifier (baseline)", gas.mock.toString()],
    ["Groth16InferenceProofVerifier.check gas (estimate)", gas.check.toString()],
    [
      "EZKL (shared test circuit): witness / keys / prove / verify",
      `${ezkl.witnessMs.toFixed(0)} / ${ezkl.keysMs.toFixed(0)} / ${ezkl.proveMs.toFixed(0)} / ${ezkl.verifyMs.toFixed(0)} ms${ezkl.verified ? "" : " (NOT verified)"}`,
    ],
    ...(["small", "large"] as const).map((size): [string, string] => [
      `${size === "small" ? "784-16-10" : "784-200-200-10"}: fixed point / float (tfjs WASM, baseline), examples/s`,
      `${Math.round(rates[size].fixed)} / ${Math.round(rates[size].float)} (fixed point ${(rates[size].fixed / rates[size].float).toFixed(2)}×)`,
    ]),
  ];
  const width = Math.max(...rows.map(([name]) => name.length));
  for (const [name, value] of rows) console.log(`${name.padEnd(width)}  ${value}`);
  console.log(
    JSON.stringify({
      bench: "zk",
      circuit: manifest.name,
      constraints: manifest.constraints,
      ptauPower: manifest.powersOfTau.power,
      proveMs: Math.round(proveMs),
      childProveMs: Math.round(child.proveMs),
      peakRssMb: child.peakRssMb,
      verifyMs: Number(verifyMs.toFixed(1)),
      resolveWithProofGas: Number(gas.zk),
      resolveWithMockGas: Number(gas.mock),
      checkGas: Number(gas.check),
      ezkl: {
        witnessMs: Math.round(ezkl.witnessMs),
        keysMs: Math.round(ezkl.keysMs),
        proveMs: Math.round(ezkl.proveMs),
        verifyMs: Math.round(ezkl.verifyMs),
        verified: ezkl.verified,
      },
      inference: {
        mlp784x16x10: { fixedPerSecond: Math.round(rates.small.fixed), floatPerSecond: Math.round(rates.small.float) },
        mlp784x200x200x10: {
          fixedPerSecond: Math.round(rates.large.fixed),
          floatPerSecond: Math.round(rates.large.float),
        },
      },
    }),
  );
}

await main();
process.exit(0);
