import { createHash } from "node:crypto";
import { decodeRequestBytes } from "@tributary/deterministic-inference";
import {
  type InferenceResponse,
  ModelSpecSchema,
  SeededRandom,
  type ServedModelInfo,
  signReceipt,
} from "@tributary/protocol";
import { hexlify, randomBytes, Wallet } from "ethers";
import { describe, expect, it } from "vitest";
import { referenceInference } from "../../deterministic-inference/test-support/bigint-reference.js";
import { MemoryRequestStore, RequestHashMismatchError } from "./request-store.js";
import { TaskSampler } from "./task-sampler.js";
import { checkVerifiableReceipt } from "./verifiable-receipt.js";

// A provider's verifiable answer checked as a buyer checks it, against the hashes and logits of the BigInt reference
// implementation of deterministic inference (written from the format's description, not the package's code).

const SPEC = ModelSpecSchema.parse({
  inputShape: [2, 3],
  layers: [
    { type: "flatten" },
    { type: "dense", units: 4, activation: "relu" },
    { type: "dense", units: 3, activation: "softmax" },
  ],
  loss: "categoricalCrossentropy",
  numClasses: 3,
});
const random = new SeededRandom("buyer-verifiable");
const WEIGHTS = Float32Array.from({ length: 6 * 4 + 4 + 4 * 3 + 3 }, () => random.nextFloat() * 2 - 1);
const EXAMPLES = [
  [
    [0.5, -1.25, 2],
    [0.5 / 4096, 0.2, -0.3],
  ],
  [
    [-2, 0, 1.5],
    [3.25, -0.75, 0.01],
  ],
];
const reference = referenceInference(SPEC, WEIGHTS, Float32Array.from(EXAMPLES.flat(2)));
const REGISTERED_HASH = `0x${"5a".repeat(32)}` as const;
const provider = new Wallet(hexlify(randomBytes(32)));
const registry = { chainId: 31337n, modelRegistry: `0x${"77".repeat(20)}` as const };
const INFO: ServedModelInfo = {
  modelId: "1",
  modelHash: REGISTERED_HASH,
  provider: provider.address.toLowerCase() as `0x${string}`,
  inputShape: [2, 3],
  outputShape: [3],
  pricePerExample: "10",
  paymentToken: `0x${"33".repeat(20)}`,
  chainId: "31337",
  paymentChannels: `0x${"44".repeat(20)}`,
  modelRegistry: registry.modelRegistry,
  maxExamplesPerRequest: 16,
  deterministic: { modelHash: reference.modelHash as `0x${string}`, fractionBits: 12 },
};
const requestId = `0x${"0f".repeat(32)}` as const;
const logits = reference.logits.map(Number);

/** The provider's answer with `outputs`, signed over `hashes` (default the reference's). */
async function answer(
  outputs: number[][],
  hashes = { requestHash: reference.requestHash, responseHash: reference.responseHash },
  deterministic: ServedModelInfo["deterministic"] | null = INFO.deterministic,
): Promise<InferenceResponse> {
  const receipt = { requestId, modelHash: REGISTERED_HASH, ...hashes, price: 20n } as const;
  const signature = await signReceipt(provider, registry, receipt as never);
  return {
    ...receipt,
    price: "20",
    modelId: "1",
    outputShape: [3],
    outputs,
    provider: INFO.provider,
    signature,
    payment: null,
    ...(deterministic === null ? {} : { deterministic }),
  } as InferenceResponse;
}

const sent = { requestId, inputs: EXAMPLES, price: 20n };
const honest = [logits.slice(0, 3), logits.slice(3, 6)];

describe("checkVerifiableReceipt", () => {
  it("recomputes the reference's request and response hashes and keeps the canonical request bytes", async () => {
    const { receipt, verified } = checkVerifiableReceipt(INFO, sent, await answer(honest));
    expect(receipt.requestHash).toBe(reference.requestHash);
    expect(verified.responseHash).toBe(reference.responseHash);
    expect(`0x${createHash("sha256").update(verified.requestBytes).digest("hex")}`).toBe(reference.requestHash);
    const decoded = decodeRequestBytes(verified.requestBytes);
    expect(decoded.modelHash).toBe(reference.modelHash);
    expect(Array.from(decoded.inputs)).toEqual(reference.inputs.map(Number));
    // The same values as float32 bytes give the same request.
    const binary = checkVerifiableReceipt(
      INFO,
      { ...sent, inputs: Float32Array.from(EXAMPLES.flat(2)) },
      await answer(honest),
    );
    expect(binary.verified.requestHash).toBe(reference.requestHash);
  });

  it("refuses logits changed after signing, another quantised model, non-integer logits and a float answer", async () => {
    const changed = [honest[0] as number[], [...(honest[1] as number[]).slice(0, 2), (logits[5] as number) + 1]];
    const cases: [string, InferenceResponse, RegExp][] = [
      ["changed", await answer(changed), /response hash is not the outputs'/],
      [
        "other model",
        await answer(honest, undefined, { modelHash: `0x${"99".repeat(32)}`, fractionBits: 12 }),
        /names the quantised model 0x9999/,
      ],
      ["fraction", await answer([[0.5, 1, 2], honest[1] as number[]]), /not an int32 logit/],
      ["float", await answer(honest, undefined, null), /names the quantised model \(none\)/],
      [
        "other inputs",
        await answer(honest, { requestHash: reference.responseHash, responseHash: reference.responseHash }),
        /request hash is not the inputs'/,
      ],
    ];
    for (const [name, response, message] of cases) {
      expect(() => checkVerifiableReceipt(INFO, sent, response), name).toThrow(message);
    }
  });
});

describe("MemoryRequestStore", () => {
  it("keeps bytes by their SHA-256 only, the most recent `capacity` of them", async () => {
    const store = new MemoryRequestStore(2);
    const bytes = [1, 2, 3].map((n) => Uint8Array.from([n, n]));
    const hash = (b: Uint8Array) => `0x${createHash("sha256").update(b).digest("hex")}` as `0x${string}`;
    await expect(store.put(hash(bytes[0] as Uint8Array), bytes[1] as Uint8Array)).rejects.toThrow(
      RequestHashMismatchError,
    );
    for (const b of bytes) await store.put(hash(b), b);
    expect(await store.get(hash(bytes[0] as Uint8Array))).toBeUndefined();
    expect(await store.get(hash(bytes[2] as Uint8Array))).toEqual(bytes[2]);
    expect(store.size).toBe(2);
  });
});

describe("TaskSampler", () => {
  it("follows the buyer's choice, never samples at 0, always at 1, and about `rate` of the time otherwise", () => {
    expect(new TaskSampler(0).decide(true)).toBe(true);
    expect(new TaskSampler(1).decide(false)).toBe(false);
    expect(Array.from({ length: 100 }, () => new TaskSampler(0).decide()).some(Boolean)).toBe(false);
    expect(Array.from({ length: 100 }, () => new TaskSampler(1).decide()).every(Boolean)).toBe(true);
    const draws = 10_000;
    const hits = Array.from({ length: draws }, () => new TaskSampler(0.25).decide()).filter(Boolean).length;
    // Binomial(10,000, 0.25): mean 2,500, standard deviation 43.3; six of them either side.
    expect(Math.abs(hits - 2_500)).toBeLessThan(260);
    expect(() => new TaskSampler(1.5)).toThrow(RangeError);
  });
});
