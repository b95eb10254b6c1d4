import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { deployInferenceVerifier } from "@tributary/contracts/deploy-inference-verifier";
import { connectOptimisticVerifier, connectStaking, connectTributaryToken } from "@tributary/contracts/typed";
import { deterministicResponseHash } from "@tributary/deterministic-inference";
import { type ModelSpec, SeededRandom } from "@tributary/protocol";
import {
  type ExampleProof,
  InferenceCircuit,
  InferenceProofSchema,
  packValues,
  proofCalldata,
  releaseProverThreads,
  SHIPPED_CIRCUITS_DIR,
} from "@tributary/zk-proofs";
import { parseEther, type Wallet } from "ethers";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { type DeployedChain, startDeployedChain } from "../../test-support/deployed-chain.js";
import { jsonLine, tributary } from "../../test-support/run-tributary.js";

// `tributary zk prove` and `zk resolve` against a local chain where the shipped MLP 784-16-10 is registered and its
// Groth16 proof verifier is set: a dispute ended by the provider's proof, and proofs the commands or the contract
// refuse. The expected hashes and logits come from a DeterministicModel built here from the artifacts' float weights.
const CIRCUIT_DIR = path.join(SHIPPED_CIRCUITS_DIR, "mnist-mlp-784-16-10");
const Outcome = { ProviderWon: 2n };

let deployed: DeployedChain;
let provider: Wallet;
let circuit: InferenceCircuit;
let pixels: number[];
const file = (name: string) => path.join(deployed.dir, name);
const chainFlags = () => ["--rpc", deployed.chain.url, "--deployment", deployed.deploymentFile];

async function task(requestHash: string, responseHash: string): Promise<bigint> {
  const { chain } = deployed;
  const [buyer, challenger] = await chain.fundedWallets(2, { tokens: parseEther("1000") });
  const contracts = chain.system.deployment.contracts;
  const asWallet = (wallet: Wallet) => wallet.connect(deployed.provider);
  for (const wallet of [buyer, challenger] as Wallet[]) {
    await (
      await connectTributaryToken(contracts.TributaryToken, asWallet(wallet)).approve(
        contracts.OptimisticVerifier,
        parseEther("1000"),
      )
    ).wait();
  }
  const verifier = (wallet: Wallet) => connectOptimisticVerifier(contracts.OptimisticVerifier, asWallet(wallet));
  await (await verifier(buyer as Wallet).createTask(1n, requestHash, contracts.TributaryToken, parseEther("1"))).wait();
  const id = await verifier(provider).taskCount();
  await (await verifier(provider).submitResult(id, responseHash)).wait();
  await (await verifier(challenger as Wallet).dispute(id, `0x${"ee".repeat(32)}`)).wait();
  return id;
}

const readProof = async (name: string) => InferenceProofSchema.parse(JSON.parse(await readFile(file(name), "utf8")));

/** `tributary zk resolve --task ID --proof FILE --json` as the provider. */
function resolve(id: bigint, proofFile: string) {
  vi.stubEnv("TRIBUTARY_PROVIDER_KEY", provider.privateKey);
  return tributary("zk", "resolve", "--task", id.toString(), "--proof", file(proofFile), ...chainFlags(), "--json");
}

beforeAll(async () => {
  deployed = await startDeployedChain();
  circuit = await InferenceCircuit.load(CIRCUIT_DIR);
  const { chain } = deployed;
  const contracts = chain.system.deployment.contracts;
  provider = await chain.fundedWallet({ tokens: parseEther("5000") });
  const signer = provider.connect(deployed.provider);
  await (
    await connectTributaryToken(contracts.TributaryToken, signer).approve(contracts.Staking, parseEther("5000"))
  ).wait();
  await (await connectStaking(contracts.Staking, signer).stake(parseEther("5000"))).wait();
  await (
    await chain.system.contracts.models.connect(signer).registerModel({
      modelHash: circuit.manifest.modelHash,
      modelURI: "bafkmlp",
      endpoint: "http://127.0.0.1:1",
      pricePerToken: 1n,
      licensePrice: 0n,
      paymentToken: contracts.TributaryToken,
      jobId: 0n,
      stake: parseEther("1000"),
    })
  ).wait();
  const zk = await deployInferenceVerifier(chain.ethers, chain.deployer, circuit.manifest);
  await (await chain.system.contracts.verifier.connect(chain.deployer).setProofVerifier(1n, zk)).wait();
  const random = new SeededRandom("zk prove command");
  pixels = Array.from({ length: 784 }, () => Math.round(random.nextFloat() * 255) / 255);
  await writeFile(file("input.json"), JSON.stringify([pixels]));
});

afterAll(async () => {
  vi.unstubAllEnvs();
  await releaseProverThreads();
  await deployed.stop();
});

describe("tributary zk prove / zk resolve", () => {
  it("proves the model's answer, verified in Node and by the model's proof verifier on chain", async () => {
    const spec = JSON.parse(await readFile(path.join(CIRCUIT_DIR, "model-spec.json"), "utf8")) as ModelSpec;
    const weights = await readFile(path.join(CIRCUIT_DIR, "weights.f32"));
    const { DeterministicModel } = await import("@tributary/deterministic-inference");
    const expected = DeterministicModel.fromFloat(
      spec,
      new Float32Array(weights.buffer.slice(weights.byteOffset)),
    ).infer(Float32Array.from(pixels));
    const proved = await tributary(
      "zk",
      "prove",
      "--model",
      "1",
      "--input",
      file("input.json"),
      "--out",
      file("proof.json"),
      ...chainFlags(),
      "--json",
    );
    expect(proved.code, proved.stderr).toBe(0);
    expect(jsonLine(proved.stdout)).toMatchObject({
      ok: true,
      modelId: "1",
      requestHash: expected.requestHash,
      responseHash: expected.responseHash,
      logits: Array.from(expected.logits),
      verified: true,
      onChain: "Valid",
      proof: file("proof.json"),
    });
  });

  it("ends the dispute with the provider's proof: ProviderWon", async () => {
    const proof = await readProof("proof.json");
    const id = await task(proof.requestHash, proof.responseHash);
    const resolved = await resolve(id, "proof.json");
    expect(resolved.code, resolved.stderr).toBe(0);
    expect(jsonLine(resolved.stdout)).toMatchObject({ ok: true, side: "provider", outcome: "ProviderWon" });
    const onChain = await connectOptimisticVerifier(
      deployed.chain.system.deployment.contracts.OptimisticVerifier,
      deployed.provider,
    ).getTask(id);
    expect(onChain.outcome).toBe(Outcome.ProviderWon);
  });

  it("refuses, before sending, a proof for another input than the task's", async () => {
    const proof = await readProof("proof.json");
    const id = await task(`0x${"12".repeat(32)}`, proof.responseHash);
    const refused = await resolve(id, "proof.json");
    expect(refused.code).toBe(1);
    expect(jsonLine(refused.stdout)).toMatchObject({ ok: false, error: { code: "ZK_PROOF_OTHER_INPUT" } });
  });

  it("a forged proof of another output is refused by the contract, with its decoded error", async () => {
    const proof = await readProof("proof.json");
    const lie = proof.logits.map((v, j) => (j === 3 ? v - 1 : v));
    const lieHash = deterministicResponseHash(proof.requestHash, 10, Int32Array.from(lie));
    const forged = structuredClone(proof);
    const example = forged.examples[0] as ExampleProof;
    example.publicSignals[0] = (packValues(Int32Array.from(lie))[0] as bigint).toString();
    Object.assign(forged, { responseHash: lieHash, logits: lie, calldata: proofCalldata(forged.examples) });
    await writeFile(file("forged.json"), JSON.stringify(forged));
    const id = await task(proof.requestHash, lieHash);
    const refused = await resolve(id, "forged.json");
    expect(refused.code).toBe(1);
    expect(jsonLine(refused.stdout)).toMatchObject({
      ok: false,
      error: { code: "REVERTED", details: { error: "OptimisticVerifierInvalidProof" } },
    });
  });
});
