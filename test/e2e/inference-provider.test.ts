import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import * as tf from "@tensorflow/tfjs-core";
import { ChannelPayer, InferenceClient, ProviderRefusedError } from "@tributary/buyer";
import { connectPaymentChannels } from "@tributary/contracts/typed";
import { BATCH_SIZE_HEADER, type ProviderService } from "@tributary/inference-provider";
import { buildModel, setFlatWeights } from "@tributary/model-runtime";
import { signVoucher, voucherDigest, voucherToWire } from "@tributary/protocol";
import { StaticTypedData, uintWord } from "@tributary/signatures";
import { hexlify, randomBytes, recoverAddress, sha256, TypedDataEncoder, Wallet } from "ethers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type ProviderWorld,
  serveWorld,
  startProviderWorld,
  WORLD_SPEC,
} from "../../inference-provider/test-support/provider-world.js";

let world: ProviderWorld;
let stateDir: string;
const services: ProviderService[] = [];

async function serve(overrides: { maxBatch?: number; maxWaitMs?: number } = {}): Promise<ProviderService> {
  const service = await serveWorld(world, stateDir, overrides);
  services.push(service);
  return service;
}

beforeAll(async () => {
  world = await startProviderWorld({ pricePerToken: 1_000n });
  stateDir = await mkdtemp(path.join(tmpdir(), "tributary-provider-"));
});

afterAll(async () => {
  for (const service of services) await service.close();
  await world?.stop();
  await rm(stateDir, { recursive: true, force: true });
});

/** Two examples of the 2×3 input shape. */
const EXAMPLES = [
  [
    [0.5, -1.25, 2],
    [0.1, 0.2, -0.3],
  ],
  [
    [-2, 0, 1.5],
    [3.25, -0.75, 0.01],
  ],
];

/** The model's forward pass in float64, written here from the weights' layout: the independent reference. */
function referenceForward(weights: Float32Array, example: number[][]): number[] {
  const x = example.flat();
  const dense = (input: number[], offset: number, units: number) => {
    const out: number[] = [];
    for (let j = 0; j < units; j++) {
      let sum = weights[offset + input.length * units + j] as number;
      for (let i = 0; i < input.length; i++) sum += (input[i] as number) * (weights[offset + i * units + j] as number);
      out.push(sum);
    }
    return out;
  };
  const hidden = dense(x, 0, 5).map((value) => Math.max(0, value));
  const logits = dense(hidden, 35, 3);
  const max = Math.max(...logits);
  const exps = logits.map((value) => Math.exp(value - max));
  const total = exps.reduce((a, b) => a + b, 0);
  return exps.map((value) => value / total);
}

interface Answer {
  readonly status: number;
  readonly headers: Headers;
  readonly json: { error?: { code: string; message: string; details?: Record<string, unknown> }; payment?: unknown };
}

async function post(service: ProviderService, body: unknown): Promise<Answer> {
  const response = await fetch(`${service.url}/v1/predict`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  return { status: response.status, json: (await response.json()) as Answer["json"], headers: response.headers };
}

const requestId = () => hexlify(randomBytes(32));
const deploymentOf = () => ({
  chainId: BigInt(world.chain.chainId),
  contract: world.addresses.paymentChannels as `0x${string}`,
});

async function voucher(channelId: bigint, amount: bigint, signer: Wallet = world.buyer, deployment = deploymentOf()) {
  return voucherToWire(await signVoucher(signer, deployment, { channelId, amount }));
}

describe("provider serve over HTTP", () => {
  it("answers what model-runtime's own inference and a float64 forward pass answer, with a receipt signed by the provider", async () => {
    const service = await serve();
    const channelId = await world.openChannel();
    const payer = new ChannelPayer(world.buyer, deploymentOf(), channelId);
    const client = await InferenceClient.connect(service.url, {
      payer,
      expect: { provider: world.providerWallet.address },
    });
    const prediction = await client.predict(EXAMPLES);

    const direct = buildModel(WORLD_SPEC);
    setFlatWeights(direct, world.model.weights);
    const expected = tf.tidy(() => (direct.predict(tf.tensor(EXAMPLES)) as tf.Tensor).arraySync()) as number[][];
    direct.dispose();
    expect(prediction.outputs).toEqual(expected);
    for (const [index, example] of EXAMPLES.entries()) {
      const reference = referenceForward(world.model.weights, example);
      for (const [k, value] of reference.entries()) expect(prediction.outputs[index]?.[k]).toBeCloseTo(value, 5);
    }

    // The receipt, recomputed independently: EIP-712 under ModelRegistry's domain, hashes of the JSON sent and received.
    const domain = {
      name: "Tributary",
      version: "1",
      chainId: BigInt(world.chain.chainId),
      verifyingContract: world.addresses.modelRegistry,
    };
    const types = {
      InferenceReceipt: [
        { name: "requestId", type: "bytes32" },
        { name: "modelHash", type: "bytes32" },
        { name: "requestHash", type: "bytes32" },
        { name: "responseHash", type: "bytes32" },
        { name: "price", type: "uint256" },
      ],
    };
    const f32 = (values: number[]) => new Uint8Array(Float32Array.from(values).buffer);
    const value = {
      requestId: prediction.receipt.requestId,
      modelHash: world.model.modelHash,
      requestHash: sha256(f32(EXAMPLES.flat(2))),
      responseHash: sha256(f32(prediction.outputs.flat())),
      price: 2_000n,
    };
    expect(recoverAddress(TypedDataEncoder.hash(domain, types, value), prediction.signature)).toBe(
      world.providerWallet.address,
    );
    for (const field of ["requestHash", "responseHash", "modelHash"] as const) {
      const altered = { ...value, [field]: sha256(value[field]) };
      expect(recoverAddress(TypedDataEncoder.hash(domain, types, altered), prediction.signature)).not.toBe(
        world.providerWallet.address,
      );
    }
    expect(
      recoverAddress(TypedDataEncoder.hash(domain, types, { ...value, price: 1_999n }), prediction.signature),
    ).not.toBe(world.providerWallet.address);
    expect(client.spending()).toMatchObject({ signed: 2_000n, served: 2_000n, requests: 1, uncertain: 0n });
  });

  it("groups concurrent requests into one model call (batch-size header and metric)", async () => {
    const service = await serve({ maxBatch: 8, maxWaitMs: 600_000 });
    // One channel per client, so that no voucher can overtake another of its channel on the way.
    const clients: InferenceClient[] = [];
    for (let index = 0; index < 4; index++) {
      const payer = new ChannelPayer(world.buyer, deploymentOf(), await world.openChannel());
      clients.push(await InferenceClient.connect(service.url, { payer }));
    }
    // The batch runs only once it holds 8 examples: 4 requests of 2 examples fill it, whatever the timing.
    const predictions = await Promise.all(clients.map((client) => client.predict(EXAMPLES)));
    expect(predictions.map((p) => p.batchSize)).toEqual([8, 8, 8, 8]);
    expect(BATCH_SIZE_HEADER).toBe("x-tributary-batch-size");
    const metrics = await (await fetch(`${service.url}/metrics`)).text();
    expect(metrics).toMatch(/^tributary_provider_batch_size_count 1$/m);
    expect(metrics).toMatch(/^tributary_provider_batch_size_sum 8$/m);
    expect(metrics).toMatch(/^tributary_provider_batch_requests_sum 4$/m);
    for (const client of clients)
      expect(client.spending()).toMatchObject({ signed: 2_000n, served: 2_000n, requests: 1 });
  });

  it("refuses a wrong shape, NaN, too many examples and too large a body with a clear 400/413", async () => {
    const service = await serve();
    const channelId = await world.openChannel();
    const cases: [unknown, number, string, RegExp][] = [
      [[[[1, 2, 3]]], 400, "INPUT_SHAPE", /inputs\[0\] is an array of 1, expected an array of 2/],
      [
        [
          [
            [1, 2, 3],
            [4, 5],
          ],
        ],
        400,
        "INPUT_SHAPE",
        /inputs\[0\]\[1\] is an array of 2, expected an array of 3/,
      ],
      [
        [
          [
            [1, Number.NaN, 3],
            [4, 5, 6],
          ],
        ],
        400,
        "INPUT_NOT_FINITE",
        /inputs\[0\]\[0\]\[1\] is null: every input value must be a finite number/,
      ],
      [
        [
          [
            [1, "2", 3],
            [4, 5, 6],
          ],
        ],
        400,
        "INPUT_NOT_FINITE",
        /inputs\[0\]\[0\]\[1\] is the string "2"/,
      ],
      [
        Array.from({ length: 17 }, () => EXAMPLES[0]),
        400,
        "INPUT_TOO_LARGE",
        /17 examples; this provider takes at most 16/,
      ],
    ];
    for (const [inputs, status, code, message] of cases) {
      const answer = await post(service, {
        requestId: requestId(),
        inputs,
        payment: await voucher(channelId, 10n ** 9n),
      });
      expect([answer.status, answer.json.error?.code]).toEqual([status, code]);
      expect(answer.json.error?.message).toMatch(message);
    }
    const raw = await post(service, `{"requestId":"${requestId()}","inputs":[[[NaN,1,2],[3,4,5]]]}`);
    expect([raw.status, raw.json.error?.code]).toEqual([400, "INVALID_JSON"]);
    expect(raw.json.error?.message).toMatch(/NaN and Infinity are not JSON numbers/);
    const huge = await post(service, { requestId: requestId(), inputs: [Array.from({ length: 70_000 }, () => 1)] });
    expect([huge.status, huge.json.error?.code]).toEqual([413, "BODY_TOO_LARGE"]);
    // None of the refused requests was charged: the next voucher only needs to cover its own price.
    const served = await post(service, {
      requestId: requestId(),
      inputs: EXAMPLES,
      payment: await voucher(channelId, 2_000n),
    });
    expect(served.status).toBe(200);
  });
  it("answers a request in flight when it closes, and ends that keep-alive connection instead of waiting for it", async () => {
    const service = await serve({ maxBatch: 8, maxWaitMs: 600_000 });
    const channelId = await world.openChannel();
    const answer = post(service, {
      requestId: requestId(),
      inputs: EXAMPLES,
      payment: await voucher(channelId, 2_000n),
    });
    for (let attempt = 0; attempt < 200; attempt++) {
      const metrics = await (await fetch(`${service.url}/metrics`)).text();
      if (/^tributary_provider_queued_examples 2$/m.test(metrics)) break;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    const closing = service.close();
    const answered = await answer;
    expect(answered.status).toBe(200);
    expect(answered.headers.get("connection")).toBe("close");
    await closing;
  });
});

describe("vouchers", () => {
  let service: ProviderService;
  const pay = async (
    channelId: bigint,
    amount: bigint,
    signer?: Wallet,
    deployment?: ReturnType<typeof deploymentOf>,
  ) =>
    post(service, {
      requestId: requestId(),
      inputs: EXAMPLES,
      payment: await voucher(channelId, amount, signer, deployment),
    });
  const refusal = (answer: Answer) => [answer.status, answer.json.error?.code];

  beforeAll(async () => {
    service = await serve();
  });

  it("computes the digest PaymentChannels computes, and recovers the buyer as the contract does", async () => {
    const channels = connectPaymentChannels(world.addresses.paymentChannels, world.rpc);
    const typed = new StaticTypedData(
      {
        name: "Tributary",
        version: "1",
        chainId: BigInt(world.chain.chainId),
        verifyingContract: world.addresses.paymentChannels,
      },
      {
        Voucher: [
          { name: "channelId", type: "uint256" },
          { name: "amount", type: "uint256" },
        ],
      },
    );
    for (const [id, amount] of [
      [1n, 0n],
      [7n, 123_456_789n],
      [2n ** 200n, 2n ** 255n + 5n],
    ] as const) {
      const onChain = await channels.voucherDigest(id, amount);
      expect(hexlify(typed.digest([uintWord(id), uintWord(amount)]))).toBe(onChain);
      expect(voucherDigest(deploymentOf(), { channelId: id, amount })).toBe(onChain);
    }
  });

  it("takes vouchers that cover what was served, redeems only what was served, and refuses replayed, stale and underpaid ones", async () => {
    const channelId = await world.openChannel();
    expect(refusal(await post(service, { requestId: requestId(), inputs: EXAMPLES }))).toEqual([
      402,
      "PAYMENT_REQUIRED",
    ]);
    const first = await voucher(channelId, 2_000n);
    expect((await post(service, { requestId: requestId(), inputs: EXAMPLES, payment: first })).status).toBe(200);
    const replayed = await post(service, { requestId: requestId(), inputs: EXAMPLES, payment: first });
    expect(refusal(replayed)).toEqual([402, "VOUCHER_REPLAYED"]);
    // 5,000 pays for a second request (4,000 served), but only a voucher within what was served can be redeemed.
    expect((await pay(channelId, 5_000n)).status).toBe(200);
    expect(service.store.accounts.get(channelId.toString())).toMatchObject({ served: 4_000n, redeemable: 2_000n });
    const stale = await pay(channelId, 1_000n);
    expect(refusal(stale)).toEqual([402, "VOUCHER_STALE"]);
    expect(stale.json.error?.message).toMatch(/older than the one held on channel \d+ \(2000\)/);
    // Two requests served (4,000): the next must cover 6,000 in all.
    const underpaid = await pay(channelId, 5_999n);
    expect(refusal(underpaid)).toEqual([402, "VOUCHER_UNDERPAID"]);
    expect(underpaid.json.error?.details).toMatchObject({ owed: "4000", required: "6000" });
    const ok = await pay(channelId, 6_000n);
    expect([ok.status, ok.json.payment]).toEqual([
      200,
      { channelId: channelId.toString(), accepted: "6000", owed: "6000" },
    ]);
    expect(service.store.accounts.get(channelId.toString())).toMatchObject({ served: 6_000n, redeemable: 6_000n });
  });

  it("refuses a voucher on another provider's channel, for another chain or contract, signed by someone else, or on an expired or exhausted channel", async () => {
    const stranger = new Wallet(hexlify(randomBytes(32)));
    const foreign = await world.openChannel({ to: stranger.address });
    expect(refusal(await pay(foreign, 2_000n))).toEqual([402, "CHANNEL_FOREIGN"]);
    const channelId = await world.openChannel({ deposit: 3_000n });
    const chain = { ...deploymentOf(), chainId: 1n };
    expect(refusal(await pay(channelId, 2_000n, world.buyer, chain))).toEqual([402, "VOUCHER_WRONG_CHAIN"]);
    const contract = { ...deploymentOf(), contract: world.addresses.modelRegistry as `0x${string}` };
    expect(refusal(await pay(channelId, 2_000n, world.buyer, contract))).toEqual([402, "VOUCHER_WRONG_CONTRACT"]);
    expect(refusal(await pay(channelId, 2_000n, stranger))).toEqual([402, "VOUCHER_BAD_SIGNATURE"]);
    expect(refusal(await pay(99_999n, 2_000n))).toEqual([402, "CHANNEL_UNKNOWN"]);
    expect((await pay(channelId, 2_000n)).status).toBe(200);
    const exhausted = await pay(channelId, 4_000n);
    expect(refusal(exhausted)).toEqual([402, "CHANNEL_EXHAUSTED"]);
    const expiring = await world.openChannel({ expiresIn: 3_600n });
    expect((await pay(expiring, 2_000n)).status).toBe(200);
    await world.advance(3_600n);
    const expired = await pay(expiring, 4_000n);
    expect(refusal(expired)).toEqual([402, "CHANNEL_EXPIRED"]);
    expect(expired.json.error?.message).toMatch(/channel \d+ expires at \d+/);
  });

  it("keeps the accepted vouchers on disk: after a restart a replay is still refused and the debt still counted", async () => {
    const channelId = await world.openChannel();
    const first = await voucher(channelId, 2_000n);
    expect((await post(service, { requestId: requestId(), inputs: EXAMPLES, payment: first })).status).toBe(200);
    await service.close();
    service = await serve();
    expect(refusal(await post(service, { requestId: requestId(), inputs: EXAMPLES, payment: first }))).toEqual([
      402,
      "VOUCHER_REPLAYED",
    ]);
    expect(refusal(await pay(channelId, 3_999n))).toEqual([402, "VOUCHER_UNDERPAID"]);
    expect((await pay(channelId, 4_000n)).status).toBe(200);
  });

  it("charges nothing for an answer that never leaves: the buyer hung up before it was ready", async () => {
    // A batch of 8 that never fills and never times out: the request waits until the provider stops.
    const waiting = await serve({ maxBatch: 8, maxWaitMs: 600_000 });
    const channelId = await world.openChannel();
    const paid = await voucher(channelId, 2_000n);
    const abort = new AbortController();
    const sent = fetch(`${waiting.url}/v1/predict`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ requestId: requestId(), inputs: EXAMPLES, payment: paid }),
      signal: abort.signal,
    }).catch((error: unknown) => error);
    const queued = async () =>
      /^tributary_provider_queued_examples 2$/m.test(await (await fetch(`${waiting.url}/metrics`)).text());
    while (!(await queued())) await new Promise((resolve) => setTimeout(resolve, 20));
    abort.abort();
    expect(await sent).toBeInstanceOf(Error);
    const abandoned = async () =>
      /^tributary_provider_requests_total\{outcome="abandoned"\} 1$/m.test(
        await (await fetch(`${waiting.url}/metrics`)).text(),
      );
    while (!(await abandoned())) await new Promise((resolve) => setTimeout(resolve, 20));
    // Stopping runs the batch; its answer goes to a closed connection and is not counted.
    await waiting.close();
    expect(waiting.store.accounts.get(channelId.toString())).toMatchObject({ served: 0n, redeemable: 0n });
    // The same voucher pays for the next request, which is answered.
    expect((await post(service, { requestId: requestId(), inputs: EXAMPLES, payment: paid })).status).toBe(200);
  });

  it("lets the buyer library see a provider's refusal as a typed error", async () => {
    const channelId = await world.openChannel({ deposit: 1_000n });
    const payer = new ChannelPayer(world.buyer, deploymentOf(), channelId);
    const client = await InferenceClient.connect(service.url, { payer });
    const error = await client.predict(EXAMPLES).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ProviderRefusedError);
    expect(error).toMatchObject({ status: 402, code: "CHANNEL_EXHAUSTED" });
    expect(payer.spending()).toMatchObject({ served: 0n, requests: 0, uncertain: 0n });
  });
});
