import { createHash } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { DeterministicModel, decodeRequestBytes } from "@tributary/deterministic-inference";
import type { ProviderService } from "@tributary/inference-provider";
import {
  INFERENCE_BINARY_TYPE,
  INFERENCE_HEADERS,
  InferenceResponseSchema,
  ModelSpecSchema,
  recoverReceiptSigner,
  ServedModelInfoSchema,
  signVoucher,
  voucherToWire,
} from "@tributary/protocol";
import { hexlify, randomBytes } from "ethers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { referenceInference } from "../../deterministic-inference/test-support/bigint-reference.js";
import {
  type ProviderWorld,
  serveWorld,
  startProviderWorld,
  WORLD_SPEC,
} from "../../inference-provider/test-support/provider-world.js";

// A provider's `?verifiable=1` answers, checked the way a buyer (or a challenger) would: by recomputing the hashes
// with deterministic-inference from the registered weights and the inputs it sent, and the EIP-712 receipt over them.

let world: ProviderWorld;
let stateDir: string;
const services: ProviderService[] = [];

beforeAll(async () => {
  world = await startProviderWorld({ pricePerToken: 1_000n });
  stateDir = await mkdtemp(path.join(tmpdir(), "tributary-verifiable-"));
});

afterAll(async () => {
  for (const service of services) await service.close();
  await world?.stop();
  await rm(stateDir, { recursive: true, force: true });
});

async function serve(model = world.model): Promise<ProviderService> {
  const service = await serveWorld({ ...world, model }, stateDir);
  services.push(service);
  return service;
}

/** Two examples of the 2×3 input shape, with values that quantise to exact ties (0.5 / 4096) and negatives. */
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

const deployment = () => ({
  chainId: BigInt(world.chain.chainId),
  contract: world.addresses.paymentChannels as `0x${string}`,
});

async function predict(url: string, body: unknown, query = "?verifiable=1") {
  const response = await fetch(`${url}/v1/predict${query}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

describe("verifiable inference (?verifiable=1)", () => {
  it("answers integer logits whose receipt signs the hashes a buyer recomputes with deterministic-inference", async () => {
    const service = await serve();
    const buyerModel = DeterministicModel.fromFloat(WORLD_SPEC, world.model.weights);
    const info = ServedModelInfoSchema.parse(await (await fetch(`${service.url}/v1/model`)).json());
    expect(info.deterministic).toEqual({ modelHash: buyerModel.modelHash, fractionBits: 12 });

    const channelId = await world.openChannel();
    const requestId = hexlify(randomBytes(32));
    const payment = voucherToWire(await signVoucher(world.buyer, deployment(), { channelId, amount: 2_000n }));
    const { status, json } = await predict(service.url, { requestId, inputs: EXAMPLES, payment });
    expect(status).toBe(200);
    const answer = InferenceResponseSchema.parse(json);

    const expected = buyerModel.infer(Float32Array.from(EXAMPLES.flat(2)));
    expect(answer.deterministic).toEqual({ modelHash: buyerModel.modelHash, fractionBits: 12 });
    expect(answer.outputs.flat()).toEqual(Array.from(expected.logits));
    expect(answer.requestHash).toBe(expected.requestHash);
    expect(answer.responseHash).toBe(expected.responseHash);
    const receipt = {
      requestId: answer.requestId,
      modelHash: world.model.modelHash,
      requestHash: expected.requestHash,
      responseHash: expected.responseHash,
      price: 2_000n,
    };
    const registry = {
      chainId: BigInt(world.chain.chainId),
      modelRegistry: world.addresses.modelRegistry as `0x${string}`,
    };
    expect(recoverReceiptSigner(registry, receipt, answer.signature)).toBe(world.providerWallet.address.toLowerCase());
    // A receipt for other logits is not what the provider signed.
    const other = buyerModel.infer(Float32Array.from(EXAMPLES.flat(2).map((v) => v + 1)));
    expect(recoverReceiptSigner(registry, { ...receipt, responseHash: other.responseHash }, answer.signature)).not.toBe(
      world.providerWallet.address.toLowerCase(),
    );
    expect(answer.payment).toMatchObject({ accepted: "2000", owed: "2000" });

    // The float answer of the same model agrees on the class of each example.
    const floatPayment = voucherToWire(await signVoucher(world.buyer, deployment(), { channelId, amount: 4_000n }));
    const float = await predict(
      service.url,
      { requestId: hexlify(randomBytes(32)), inputs: EXAMPLES, payment: floatPayment },
      "",
    );
    const floats = InferenceResponseSchema.parse(float.json);
    expect(floats.deterministic).toBeUndefined();
    const argmax = (row: number[]) => row.indexOf(Math.max(...row));
    expect(answer.outputs.map(argmax)).toEqual(floats.outputs.map(argmax));
  });

  it("gives the same hashes for the same examples sent as float32 bytes", async () => {
    const service = await serve();
    const channelId = await world.openChannel();
    const requestId = hexlify(randomBytes(32));
    const payment = voucherToWire(await signVoucher(world.buyer, deployment(), { channelId, amount: 2_000n }));
    const body = new Uint8Array(Float32Array.from(EXAMPLES.flat(2)).buffer);
    const response = await fetch(`${service.url}/v1/predict?verifiable=true`, {
      method: "POST",
      headers: {
        "content-type": INFERENCE_BINARY_TYPE,
        [INFERENCE_HEADERS.requestId]: requestId,
        [INFERENCE_HEADERS.inputShape]: "2,2,3",
        [INFERENCE_HEADERS.payment]: JSON.stringify(payment),
      },
      body,
    });
    expect(response.status).toBe(200);
    const answer = InferenceResponseSchema.parse(await response.json());
    const expected = DeterministicModel.fromFloat(WORLD_SPEC, world.model.weights).infer(
      Float32Array.from(EXAMPLES.flat(2)),
    );
    expect([answer.requestHash, answer.responseHash]).toEqual([expected.requestHash, expected.responseHash]);
  });

  it("keeps the request's canonical bytes and serves them by hash once a task publishes them, never before", async () => {
    const service = await serve();
    const channelId = await world.openChannel();
    const payment = voucherToWire(await signVoucher(world.buyer, deployment(), { channelId, amount: 2_000n }));
    const { json } = await predict(service.url, { requestId: hexlify(randomBytes(32)), inputs: EXAMPLES, payment });
    const answer = InferenceResponseSchema.parse(json);
    const reference = referenceInference(WORLD_SPEC, world.model.weights, Float32Array.from(EXAMPLES.flat(2)));
    expect(answer.requestHash).toBe(reference.requestHash);
    const fetchRequest = (hash: string) => fetch(`${service.url}/v1/requests/${hash}`);
    const before = await fetchRequest(answer.requestHash);
    expect(before.status).toBe(404);
    expect(await before.json()).toMatchObject({ error: { code: "REQUEST_UNKNOWN" } });
    expect(await service.requests.publish(answer.requestHash)).toBe(true);
    const after = await fetchRequest(answer.requestHash);
    expect([after.status, after.headers.get("content-type")]).toEqual([200, INFERENCE_BINARY_TYPE]);
    const bytes = new Uint8Array(await after.arrayBuffer());
    expect(`0x${createHash("sha256").update(bytes).digest("hex")}`).toBe(reference.requestHash);
    expect(Array.from(decodeRequestBytes(bytes).inputs)).toEqual(reference.inputs.map(Number));
    expect((await service.requests.get(answer.requestHash))?.responseHash).toBe(reference.responseHash);
    expect((await fetchRequest("0x1234")).status).toBe(400);
  });

  it("refuses a verifiable request to a model without a deterministic path (a sigmoid layer), before any payment", async () => {
    const sigmoid = ModelSpecSchema.parse({
      ...WORLD_SPEC,
      layers: [
        { type: "flatten" },
        { type: "dense", units: 5, activation: "sigmoid" },
        { type: "dense", units: 3, activation: "softmax" },
      ],
    });
    const service = await serve({ ...world.model, spec: sigmoid });
    const info = ServedModelInfoSchema.parse(await (await fetch(`${service.url}/v1/model`)).json());
    expect(info.deterministic).toBeUndefined();
    const { status, json } = await predict(service.url, { requestId: hexlify(randomBytes(32)), inputs: EXAMPLES });
    expect(status).toBe(400);
    expect(json).toMatchObject({ error: { code: "VERIFIABLE_UNSUPPORTED" } });
    expect(JSON.stringify(json)).toMatch(/activation sigmoid/);
  });
});
