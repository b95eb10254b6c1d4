import { createHash } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { ChannelPayer, InferenceClient, ProviderRefusedError } from "@tributary/buyer";
import { connectPaymentChannels } from "@tributary/contracts/typed";
import type { ProviderService } from "@tributary/inference-provider";
import { signVoucher, voucherToHeader, voucherToWire } from "@tributary/protocol";
import { getBytes, hexlify, randomBytes, Wallet } from "ethers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type ProviderWorld,
  serveWorld,
  startProviderWorld,
} from "../../inference-provider/test-support/provider-world.js";

let world: ProviderWorld;
let stateDir: string;
let service: ProviderService;

beforeAll(async () => {
  world = await startProviderWorld({ pricePerToken: 1_000n });
  stateDir = await mkdtemp(path.join(tmpdir(), "tributary-binary-"));
  service = await serveWorld(world, stateDir);
});

afterAll(async () => {
  await service?.close();
  await world?.stop();
  await rm(stateDir, { recursive: true, force: true });
});

/** Three examples of the 2×3 input shape, nested (JSON) and packed (binary). */
const NESTED = [
  [
    [0.5, -1.25, 2],
    [0.1, 0.2, -0.3],
  ],
  [
    [-2, 0, 1.5],
    [3.25, -0.75, 0.01],
  ],
  [
    [7, -7, 0.333],
    [1e-3, 42, -0.5],
  ],
];
const PACKED = Float32Array.from(NESTED.flat(2));

const deploymentOf = () => ({
  chainId: BigInt(world.chain.chainId),
  contract: world.addresses.paymentChannels as `0x${string}`,
});

/** SHA-256 of the values as little-endian float32, written here with node:crypto and a DataView. */
function sha256OfFloat32(values: readonly number[]): string {
  const view = new DataView(new ArrayBuffer(values.length * 4));
  for (const [index, value] of values.entries()) view.setFloat32(index * 4, value, true);
  return `0x${createHash("sha256").update(new Uint8Array(view.buffer)).digest("hex")}`;
}

interface Answer {
  readonly status: number;
  readonly json: { error?: { code: string; message: string }; requestHash?: string; outputs?: number[][] };
}

/** A binary request sent by hand: `headers` replace the defaults (`undefined` drops one). */
async function postBinary(
  body: Uint8Array,
  headers: Record<string, string | undefined> = {},
  payment?: { channelId: bigint; amount: bigint; signer?: Wallet },
): Promise<Answer> {
  const voucher =
    payment === undefined
      ? undefined
      : await signVoucher(payment.signer ?? world.buyer, deploymentOf(), {
          channelId: payment.channelId,
          amount: payment.amount,
        });
  const all: Record<string, string | undefined> = {
    "content-type": "application/octet-stream",
    "x-tributary-request-id": hexlify(randomBytes(32)),
    "x-tributary-input-shape": `${body.byteLength / 24},2,3`,
    "x-tributary-payment": voucher === undefined ? undefined : JSON.stringify(voucherToWire(voucher)),
    ...headers,
  };
  const sent = Object.fromEntries(Object.entries(all).filter(([, value]) => value !== undefined)) as Record<
    string,
    string
  >;
  const response = await fetch(`${service.url}/v1/predict`, { method: "POST", headers: sent, body });
  return { status: response.status, json: (await response.json()) as Answer["json"] };
}

const bytesOf = (values: Float32Array) => new Uint8Array(values.buffer, values.byteOffset, values.byteLength);

describe("binary predictions (application/octet-stream)", () => {
  it("answers exactly what the JSON path answers, with the same request and response hashes", async () => {
    const channelId = await world.openChannel();
    const payer = new ChannelPayer(world.buyer, deploymentOf(), channelId);
    const client = await InferenceClient.connect(service.url, { payer });
    const binary = await client.predict(PACKED);
    const json = await client.predict(NESTED);
    expect(binary.outputs).toEqual(json.outputs);
    expect(binary.receipt.requestHash).toBe(json.receipt.requestHash);
    expect(binary.receipt.responseHash).toBe(json.receipt.responseHash);
    expect(binary.receipt.requestHash).toBe(sha256OfFloat32(NESTED.flat(2)));
    expect(binary.receipt.responseHash).toBe(sha256OfFloat32(binary.outputs.flat()));
    expect(binary.receipt.price).toBe(3_000n);
    expect(client.spending()).toMatchObject({ signed: 6_000n, served: 6_000n, requests: 2, uncertain: 0n });
  });

  it("reads a body at any offset of its buffer (a subarray) the same way", async () => {
    const channelId = await world.openChannel();
    const client = await InferenceClient.connect(service.url, {
      payer: new ChannelPayer(world.buyer, deploymentOf(), channelId),
    });
    const padded = new Float32Array(PACKED.length + 7);
    padded.set(PACKED, 7);
    const shifted = await client.predict(padded.subarray(7));
    const whole = await client.predict(PACKED);
    expect(shifted.outputs).toEqual(whole.outputs);
    const odd = new Uint8Array(PACKED.byteLength + 1);
    odd.set(bytesOf(PACKED), 1);
    const unaligned = await postBinary(odd.subarray(1), {}, { channelId, amount: 9_000n });
    expect(unaligned.status).toBe(200);
    expect(unaligned.json.outputs).toEqual(whole.outputs);
  });

  it("takes a binary request's voucher in the router's x-tributary-voucher header, and refuses two vouchers", async () => {
    const channelId = await world.openChannel();
    const routed = await signVoucher(world.buyer, deploymentOf(), { channelId, amount: 3_000n });
    const twice = await postBinary(
      bytesOf(PACKED),
      { "x-tributary-voucher": voucherToHeader(routed) },
      {
        channelId,
        amount: 3_000n,
      },
    );
    expect([twice.status, twice.json.error?.code]).toEqual([400, "PAYMENT_TWICE"]);
    const paid = await postBinary(bytesOf(PACKED), { "x-tributary-voucher": voucherToHeader(routed) });
    expect(paid.status).toBe(200);
    // The voucher paid for the answer it got: the same one again is a replay.
    const again = await postBinary(bytesOf(PACKED), { "x-tributary-voucher": voucherToHeader(routed) });
    expect([again.status, again.json.error?.code]).toEqual([402, "VOUCHER_REPLAYED"]);
  });

  it("refuses a wrong length or shape, NaN and Infinity, too many examples and bad headers, charging nothing", async () => {
    const channelId = await world.openChannel();
    const pay = { channelId, amount: 10n ** 9n };
    const withNaN = PACKED.slice();
    withNaN[9] = Number.NaN;
    const withInfinity = PACKED.slice();
    withInfinity[17] = Number.NEGATIVE_INFINITY;
    const cases: [Uint8Array, Record<string, string | undefined>, number, string, RegExp][] = [
      [
        bytesOf(PACKED).subarray(0, 68),
        { "x-tributary-input-shape": "3,2,3" },
        400,
        "INPUT_SHAPE",
        /the body has 68 bytes; 3×2×3 float32 values take 72/,
      ],
      [bytesOf(PACKED), { "x-tributary-input-shape": "3,3,2" }, 400, "INPUT_SHAPE", /is 3,3,2; the model takes/],
      [bytesOf(PACKED), { "x-tributary-input-shape": "18" }, 400, "INPUT_SHAPE", /\[examples, 2, 3\]/],
      [bytesOf(PACKED), { "x-tributary-input-shape": "2,2,3" }, 400, "INPUT_SHAPE", /72 bytes; 2×2×3/],
      [bytesOf(withNaN), {}, 400, "INPUT_NOT_FINITE", /inputs\[1\]\[1\]\[0\] is NaN/],
      [bytesOf(withInfinity), {}, 400, "INPUT_NOT_FINITE", /inputs\[2\]\[1\]\[2\] is -Infinity/],
      [new Uint8Array(17 * 24), {}, 400, "INPUT_TOO_LARGE", /names 17 examples; this provider takes at most 16/],
      [
        bytesOf(PACKED),
        { "x-tributary-input-shape": undefined },
        400,
        "INVALID_INPUT",
        /headers\.x-tributary-input-shape/,
      ],
      [bytesOf(PACKED), { "x-tributary-input-shape": "3,2,x" }, 400, "INVALID_INPUT", /positive integers/],
      [bytesOf(PACKED), { "x-tributary-request-id": "0x12" }, 400, "INVALID_INPUT", /headers\.x-tributary-request-id/],
      [bytesOf(PACKED), { "x-tributary-payment": "{not json" }, 400, "INVALID_INPUT", /voucher as one line of JSON/],
      [bytesOf(PACKED), { "x-tributary-payment": "{}" }, 400, "INVALID_INPUT", /headers\.x-tributary-payment\.amount/],
    ];
    for (const [body, headers, status, code, message] of cases) {
      const answer = await postBinary(body, headers, pay);
      expect([answer.status, answer.json.error?.code, answer.json.error?.message]).toEqual([
        status,
        code,
        expect.stringMatching(message),
      ]);
    }
    const unpaid = await postBinary(bytesOf(PACKED));
    expect([unpaid.status, unpaid.json.error?.code]).toEqual([402, "PAYMENT_REQUIRED"]);
    const huge = await postBinary(new Uint8Array(70_000), { "x-tributary-input-shape": "2,2,3" }, pay);
    expect([huge.status, huge.json.error?.code]).toEqual([413, "BODY_TOO_LARGE"]);
    // Nothing refused was charged: a voucher for this request's price alone is enough.
    expect((await postBinary(bytesOf(PACKED), {}, { channelId, amount: 3_000n })).status).toBe(200);
  });

  it("refuses in the buyer's library what is not whole examples, before anything is signed or sent", async () => {
    const payer = new ChannelPayer(world.buyer, deploymentOf(), await world.openChannel());
    const client = await InferenceClient.connect(service.url, { payer });
    const error = await client.predict(PACKED.subarray(1)).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ProviderRefusedError);
    expect(error).toMatchObject({ code: "INPUT_SHAPE", message: expect.stringMatching(/17 values are not whole/) });
    expect(payer.spending().signed).toBe(0n);
  });

  it("documents both request formats and the binary headers in its OpenAPI", async () => {
    const openapi = (await (await fetch(`${service.url}/openapi.json`)).json()) as {
      paths: Record<
        string,
        { post?: { requestBody?: { content: object }; parameters?: { name: string; in: string }[] } }
      >;
    };
    const predict = openapi.paths["/v1/predict"]?.post;
    expect(Object.keys(predict?.requestBody?.content ?? {}).sort()).toEqual([
      "application/json",
      "application/octet-stream",
    ]);
    expect(predict?.parameters?.filter((parameter) => parameter.in === "header").map((p) => p.name)).toEqual([
      "x-tributary-request-id",
      "x-tributary-input-shape",
      "x-tributary-payment",
    ]);
  });
});

describe("voucher signatures in a header, as PaymentChannels judges them", () => {
  /** The signature with s replaced by n − s and v flipped: the same signer by ecrecover, refused by OpenZeppelin. */
  const malleate = (signature: string) => {
    const bytes = getBytes(signature);
    const n = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
    const s = n - BigInt(hexlify(bytes.subarray(32, 64)));
    return `${signature.slice(0, 66)}${s.toString(16).padStart(64, "0")}${bytes[64] === 27 ? "1c" : "1b"}`;
  };
  const flipV = (signature: string) => `${signature.slice(0, 130)}${signature.endsWith("1b") ? "1c" : "1b"}`;

  it("refuses the high-s twin, a flipped v and a stranger's signature, which the contract refuses too, and takes the buyer's", async () => {
    const channelId = await world.openChannel();
    const stranger = new Wallet(hexlify(randomBytes(32)));
    const good = voucherToWire(await signVoucher(world.buyer, deploymentOf(), { channelId, amount: 3_000n }));
    const foreign = voucherToWire(await signVoucher(stranger, deploymentOf(), { channelId, amount: 3_000n }));
    const redeemer = connectPaymentChannels(world.addresses.paymentChannels, world.providerWallet.connect(world.rpc));
    const refusals: [string, number, string][] = [
      // A high s is malformed (EIP-2): refused where the voucher is parsed, before any channel is read.
      [malleate(good.signature), 400, "INVALID_INPUT"],
      [flipV(good.signature), 402, "VOUCHER_BAD_SIGNATURE"],
      [foreign.signature, 402, "VOUCHER_BAD_SIGNATURE"],
    ];
    for (const [signature, status, code] of refusals) {
      await expect(redeemer.redeem.staticCall(channelId, 3_000n, signature)).rejects.toThrow(
        /PaymentChannelsInvalidSignature/,
      );
      const answer = await postBinary(bytesOf(PACKED), {
        "x-tributary-payment": JSON.stringify({ ...good, signature }),
      });
      expect([answer.status, answer.json.error?.code]).toEqual([status, code]);
    }
    await expect(redeemer.redeem.staticCall(channelId, 3_000n, good.signature)).resolves.toBeDefined();
    const answer = await postBinary(bytesOf(PACKED), { "x-tributary-payment": JSON.stringify(good) });
    expect(answer.status).toBe(200);
  });
});
