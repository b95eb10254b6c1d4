import { readFile } from "node:fs/promises";
import path from "node:path";
import { DeterministicModel, deterministicRequestHash } from "@tributary/deterministic-inference";
import { ModelSpecSchema } from "@tributary/protocol";
import {
  Groth16VerificationKeySchema,
  type InferenceCircuit,
  type InferenceProof,
  packValues,
  releaseProverThreads,
  unpackValues,
  verifyExampleProof,
} from "@tributary/zk-proofs";
import { expect } from "chai";
import { ethers, networkHelpers } from "../helpers/system.js";
import { Outcome } from "../helpers/verifier.js";
import {
  digits,
  loadCircuit,
  OTHER_MODEL_DIR,
  otherModelProof,
  responseFor,
  withLogits,
  withSignals,
  zkFixture,
} from "../helpers/zk.js";

// Disputes on the MLP 784-16-10 ended by real Groth16 proofs of its fixed-point inference (circom circuit, snarkjs
// proofs made here from the shipped proving key; no trusted setup runs in tests), checked on chain by the
// snarkjs-generated verifier behind Groth16InferenceProofVerifier.
const Verdict = { Valid: 0n, OtherModel: 1n, Malformed: 2n, OtherRequest: 3n, OtherResponse: 4n, ProofRejected: 5n };

let circuit: InferenceCircuit;
let proof: InferenceProof;
let pair: InferenceProof;

before(async () => {
  circuit = await loadCircuit();
  proof = await circuit.prove(digits([0]));
  pair = await circuit.prove(digits([1, 2]));
});

after(async () => {
  await releaseProverThreads();
});

const fixture = () => zkFixture(circuit);

/** A task on the proved model for `requestHash`, answered with `responseHash` and disputed with `alternative`. */
async function disputedTask(requestHash: string, responseHash: string, alternative: string) {
  const f = await networkHelpers.loadFixture(fixture);
  const { verifier, buyer, usdc, provider, challenger, modelId } = f;
  await verifier.connect(buyer).createTask(modelId, requestHash, usdc, 10n ** 18n);
  const taskId = await verifier.taskCount();
  await verifier.connect(provider).submitResult(taskId, responseHash);
  await verifier.connect(challenger).dispute(taskId, alternative);
  return { ...f, taskId };
}

const wrongLogits = (logits: readonly number[]) => logits.map((v, j) => (j === 0 ? v + 1 : v));

describe("Groth16InferenceProofVerifier", () => {
  it("ends a dispute with a valid proof of the provider's response: ProviderWon", async () => {
    const wrong = responseFor(proof.requestHash, wrongLogits(proof.logits));
    const { verifier, zk, taskId, modelId } = await disputedTask(proof.requestHash, proof.responseHash, wrong);
    expect(await zk.check(circuit.manifest.modelHash, proof.requestHash, proof.responseHash, proof.calldata)).to.equal(
      Verdict.Valid,
    );
    await expect(verifier.resolveWithProof(taskId, proof.responseHash, proof.calldata))
      .to.emit(verifier, "TaskFinalized")
      .withArgs(taskId, Outcome.ProviderWon, 0n);
    expect((await verifier.getTask(taskId)).outcome).to.equal(Outcome.ProviderWon);
    expect(await verifier.proofVerifier(modelId)).to.equal(await zk.getAddress());
  });

  it("proves a request of two examples with one proof each", async () => {
    const { verifier, zk, taskId } = await disputedTask(pair.requestHash, pair.responseHash, ethers.id("other"));
    expect(await zk.check(circuit.manifest.modelHash, pair.requestHash, pair.responseHash, pair.calldata)).to.equal(
      Verdict.Valid,
    );
    await verifier.resolveWithProof(taskId, pair.responseHash, pair.calldata);
    expect((await verifier.getTask(taskId)).outcome).to.equal(Outcome.ProviderWon);
  });

  it("attack: a proof for a wrong output is refused, and the true answer's proof slashes the lying provider", async () => {
    const lie = wrongLogits(proof.logits);
    const wrong = responseFor(proof.requestHash, lie);
    const { verifier, zk, taskId, modelId, models } = await disputedTask(proof.requestHash, wrong, proof.responseHash);
    // The true proof's logits swapped for the lie: the hashes match the lie, the pairing check does not.
    const forged = withLogits(proof, lie);
    expect(await zk.check(circuit.manifest.modelHash, proof.requestHash, wrong, forged.calldata)).to.equal(
      Verdict.ProofRejected,
    );
    await expect(verifier.resolveWithProof(taskId, wrong, forged.calldata))
      .to.be.revertedWithCustomError(verifier, "OptimisticVerifierInvalidProof")
      .withArgs(taskId, wrong);
    // The true proof does not prove the lie either.
    expect(await zk.check(circuit.manifest.modelHash, proof.requestHash, wrong, proof.calldata)).to.equal(
      Verdict.OtherResponse,
    );
    await expect(verifier.resolveWithProof(taskId, wrong, proof.calldata))
      .to.be.revertedWithCustomError(verifier, "OptimisticVerifierInvalidProof")
      .withArgs(taskId, wrong);
    const stakeBefore = (await models.getModel(modelId)).stake;
    await expect(verifier.resolveWithProof(taskId, proof.responseHash, proof.calldata))
      .to.emit(verifier, "TaskFinalized")
      .withArgs(taskId, Outcome.ChallengerWon, 500n * 10n ** 18n);
    expect((await models.getModel(modelId)).stake).to.be.lessThan(stakeBefore);
  });

  it("attack: a valid proof for another model is refused", async () => {
    const other = await otherModelProof();
    const example = other.examples[0] as InferenceProof["examples"][number];
    const key = Groth16VerificationKeySchema.parse(
      JSON.parse(await readFile(path.join(OTHER_MODEL_DIR, "verification_key.json"), "utf8")),
    );
    expect(await verifyExampleProof(key, example)).to.equal(true); // a genuine proof, of the other model
    const spec = ModelSpecSchema.parse(
      JSON.parse(await readFile(path.join(OTHER_MODEL_DIR, "model-spec.json"), "utf8")),
    );
    const weights = new Float32Array((await readFile(path.join(OTHER_MODEL_DIR, "weights.f32"))).buffer.slice(0));
    const digit = unpackValues(example.publicSignals.slice(1).map(BigInt), 784); // the quantised digit it proves
    expect(other.logits).to.deep.equal(Array.from(DeterministicModel.fromFloat(spec, weights).run(digit)));
    const ours = await circuit.prove(Float32Array.from(digit, (v) => v / 4096));
    expect(other.logits).to.not.deep.equal(ours.logits); // the two models answer the digit differently

    // On a task of the shipped model for the same digit, the challenger claims the other model's answer.
    const claimed = responseFor(ours.requestHash, other.logits);
    const { verifier, zk, taskId } = await disputedTask(ours.requestHash, ours.responseHash, claimed);
    expect(await zk.check(circuit.manifest.modelHash, ours.requestHash, claimed, other.calldata)).to.equal(
      Verdict.ProofRejected,
    );
    await expect(verifier.resolveWithProof(taskId, claimed, other.calldata))
      .to.be.revertedWithCustomError(verifier, "OptimisticVerifierInvalidProof")
      .withArgs(taskId, claimed);
  });

  it("attack: the verifier registered for another model's id refuses this model's valid proof", async () => {
    const f = await networkHelpers.loadFixture(fixture);
    const { verifier, zk, gov, buyer, usdc, provider, challenger } = f;
    await verifier.connect(gov).setProofVerifier(1n, zk); // model 1 has other weights (verifierFixture's mock hash)
    await verifier.connect(buyer).createTask(1n, proof.requestHash, usdc, 10n ** 18n);
    const taskId = await verifier.taskCount();
    await verifier.connect(provider).submitResult(taskId, proof.responseHash);
    await verifier.connect(challenger).dispute(taskId, ethers.id("other"));
    expect(await zk.check(ethers.id("weights"), proof.requestHash, proof.responseHash, proof.calldata)).to.equal(
      Verdict.OtherModel,
    );
    await expect(verifier.resolveWithProof(taskId, proof.responseHash, proof.calldata))
      .to.be.revertedWithCustomError(verifier, "OptimisticVerifierInvalidProof")
      .withArgs(taskId, proof.responseHash);
  });

  it("attack: a proof with altered public inputs is refused, even on a task for the altered inputs", async () => {
    const wrong = responseFor(proof.requestHash, wrongLogits(proof.logits));
    const { verifier, zk, taskId, buyer, usdc, provider, challenger, modelId } = await disputedTask(
      proof.requestHash,
      proof.responseHash,
      wrong,
    );
    const inputs = circuit.model.infer(digits([0])).inputs;
    inputs[300] = (inputs[300] as number) + 1;
    const altered = withSignals(proof, ([logits]) => [logits as bigint, ...packValues(inputs)]);
    expect(
      await zk.check(circuit.manifest.modelHash, proof.requestHash, proof.responseHash, altered.calldata),
    ).to.equal(Verdict.OtherRequest);
    await expect(verifier.resolveWithProof(taskId, proof.responseHash, altered.calldata))
      .to.be.revertedWithCustomError(verifier, "OptimisticVerifierInvalidProof")
      .withArgs(taskId, proof.responseHash);

    // A task for the altered inputs, answered with the proved logits: the hashes agree, the pairing check does not.
    const alteredRequest = deterministicRequestHash(circuit.manifest.quantisedModelHash, 784, inputs);
    const alteredResponse = responseFor(alteredRequest, proof.logits);
    await verifier.connect(buyer).createTask(modelId, alteredRequest, usdc, 10n ** 18n);
    const second = await verifier.taskCount();
    await verifier.connect(provider).submitResult(second, alteredResponse);
    await verifier.connect(challenger).dispute(second, ethers.id("other"));
    expect(await zk.check(circuit.manifest.modelHash, alteredRequest, alteredResponse, altered.calldata)).to.equal(
      Verdict.ProofRejected,
    );
    await expect(verifier.resolveWithProof(second, alteredResponse, altered.calldata))
      .to.be.revertedWithCustomError(verifier, "OptimisticVerifierInvalidProof")
      .withArgs(second, alteredResponse);
  });

  it("calls bytes that are not whole proofs malformed", async () => {
    const { zk } = await networkHelpers.loadFixture(fixture);
    const { modelHash } = circuit.manifest;
    expect(await zk.check(modelHash, proof.requestHash, proof.responseHash, "0x")).to.equal(Verdict.Malformed);
    expect(await zk.check(modelHash, proof.requestHash, proof.responseHash, proof.calldata.slice(0, -64))).to.equal(
      Verdict.Malformed,
    );
    const overfull = withSignals(proof, ([logits, ...words]) => [(logits as bigint) | (1n << 240n), ...words]);
    expect(await zk.check(modelHash, proof.requestHash, proof.responseHash, overfull.calldata)).to.equal(
      Verdict.Malformed,
    );
    // The last input word holds 4 values (784 = 78 · 10 + 4): a bit above its 96 is malformed too.
    const tail = withSignals(proof, (words) => words.map((w, i) => (i === words.length - 1 ? w | (1n << 96n) : w)));
    expect(await zk.check(modelHash, proof.requestHash, proof.responseHash, tail.calldata)).to.equal(Verdict.Malformed);
  });

  it("is built from the shipped verification key: the generated verifier's constants are the key's", async () => {
    const { verifierContract } = circuit.manifest;
    const source = await readFile(
      path.resolve(import.meta.dirname, `../../../contracts/src/verification/generated/${verifierContract}.sol`),
      "utf8",
    );
    const constant = (name: string) => source.match(new RegExp(`uint256 constant ${name} *= *(\\d+);`))?.[1];
    const key = circuit.verificationKey;
    expect(constant("alphax")).to.equal(key.vk_alpha_1[0]);
    expect(constant("deltax1")).to.equal(key.vk_delta_2[0]?.[1]);
    key.IC.forEach((point, i) => {
      expect([constant(`IC${i}x`), constant(`IC${i}y`)]).to.deep.equal([point[0], point[1]]);
    });
    expect(source).to.include(
      `uint[${circuit.manifest.inputWords + circuit.manifest.outputWords}] calldata _pubSignals`,
    );
  });
});
