import { TypedDataEncoder, Wallet } from "ethers";
import { describe, expect, it } from "vitest";
import {
  metricsHash,
  recoverModelUpdateMessageSigner,
  recoverModelUpdateSigner,
  signModelUpdate,
  tributaryDomain,
} from "./eip712.js";
import type { Address } from "./ids.js";
import { type ModelUpdateHeader, SignedModelUpdateSchema } from "./model-update.js";

const verifyingContract = "0x5fbdb2315678afecb367f032d93f642f64180aa3" as Address;
const domain = tributaryDomain(31337n, verifyingContract);

function header(trainer: string, overrides: Partial<ModelUpdateHeader> = {}): ModelUpdateHeader {
  return {
    jobId: "1" as ModelUpdateHeader["jobId"],
    round: 0,
    trainer: trainer.toLowerCase() as Address,
    datasetId: "3" as ModelUpdateHeader["datasetId"],
    numExamples: 100,
    updateHash: `0x${"cd".repeat(32)}`,
    metrics: { loss: 1.5, accuracy: 0.5 },
    epsilonSpent: 0.75,
    delta: 1e-5,
    nonce: `0x${"77".repeat(32)}`,
    ...overrides,
  };
}

describe("ModelUpdate EIP-712 signatures", () => {
  it("recovers the trainer from its own signature, and the signed update passes the wire schema", async () => {
    const wallet = Wallet.createRandom();
    const signed = await signModelUpdate(wallet, domain, header(wallet.address));
    expect(SignedModelUpdateSchema.parse(signed)).toEqual(signed);
    expect(recoverModelUpdateSigner(domain, signed)).toBe(wallet.address.toLowerCase());
  });

  it("recovers the signer from the message fields alone (metricsHash instead of the metrics)", async () => {
    const wallet = Wallet.createRandom();
    const signed = await signModelUpdate(wallet, domain, header(wallet.address, { epsilonSpent: null }));
    // The message written out by hand: ε = ∞ signs as 2^256 − 1, δ = 1e-5 as 1e13 in 18-decimal fixed point.
    const message = {
      jobId: 1n,
      round: 0,
      trainer: wallet.address.toLowerCase() as Address,
      datasetId: 3n,
      numExamples: 100n,
      updateHash: `0x${"cd".repeat(32)}` as const,
      metricsHash: metricsHash({ accuracy: 0.5, loss: 1.5 }),
      epsilonSpent: 2n ** 256n - 1n,
      delta: 10_000_000_000_000n,
      nonce: `0x${"77".repeat(32)}` as const,
    };
    expect(recoverModelUpdateMessageSigner(domain, message, signed.signature)).toBe(wallet.address.toLowerCase());
    expect(recoverModelUpdateMessageSigner(domain, { ...message, numExamples: 101n }, signed.signature)).not.toBe(
      wallet.address.toLowerCase(),
    );
  });

  it("binds every field: changing any one no longer recovers the trainer", async () => {
    const wallet = Wallet.createRandom();
    const signed = await signModelUpdate(wallet, domain, header(wallet.address));
    const tampered: Partial<ModelUpdateHeader>[] = [
      { jobId: "2" as ModelUpdateHeader["jobId"] },
      { round: 1 },
      { datasetId: "4" as ModelUpdateHeader["datasetId"] },
      { numExamples: 101 },
      { updateHash: `0x${"ce".repeat(32)}` },
      { metrics: { loss: 1.5, accuracy: 0.51 } },
      { epsilonSpent: 0.7500001 },
      { epsilonSpent: null },
      { delta: 2e-5 },
      { nonce: `0x${"78".repeat(32)}` },
    ];
    for (const change of tampered) {
      expect(recoverModelUpdateSigner(domain, { ...signed, ...change })).not.toBe(wallet.address.toLowerCase());
    }
  });

  it("does not verify under another chain id or another contract", async () => {
    const wallet = Wallet.createRandom();
    const signed = await signModelUpdate(wallet, domain, header(wallet.address));
    const me = wallet.address.toLowerCase();
    expect(recoverModelUpdateSigner(tributaryDomain(1n, verifyingContract), signed)).not.toBe(me);
    expect(recoverModelUpdateSigner(tributaryDomain(31337n, `0x${"11".repeat(20)}` as Address), signed)).not.toBe(me);
  });

  it("hashes metrics independently of key order", () => {
    expect(metricsHash({ loss: 1, accuracy: 0.5 })).toBe(metricsHash({ accuracy: 0.5, loss: 1 }));
    expect(metricsHash({ loss: 1, accuracy: 0.5 })).not.toBe(metricsHash({ loss: 1, accuracy: 0.25 }));
  });

  it("uses the type string the contracts hash", () => {
    const encoder = TypedDataEncoder.from({
      ModelUpdate: [
        { name: "jobId", type: "uint256" },
        { name: "round", type: "uint32" },
        { name: "trainer", type: "address" },
        { name: "datasetId", type: "uint256" },
        { name: "numExamples", type: "uint64" },
        { name: "updateHash", type: "bytes32" },
        { name: "metricsHash", type: "bytes32" },
        { name: "epsilonSpent", type: "uint256" },
        { name: "delta", type: "uint256" },
        { name: "nonce", type: "bytes32" },
      ],
    });
    expect(encoder.encodeType("ModelUpdate")).toBe(
      "ModelUpdate(uint256 jobId,uint32 round,address trainer,uint256 datasetId,uint64 numExamples,bytes32 updateHash,bytes32 metricsHash,uint256 epsilonSpent,uint256 delta,bytes32 nonce)",
    );
  });
});
