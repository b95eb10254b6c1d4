import type { Address } from "@tributary/protocol";
import { describe, expect, it } from "vitest";
import { runSecAggRound, testContext, testWallets } from "../test-support/run-secagg-round.js";
import { quantise } from "./quantise.js";
import { SecAggClient } from "./secagg-client.js";
import { SecAggServer } from "./secagg-server.js";

/** Pearson's χ² of byte counts against the uniform distribution over 256 values (255 degrees of freedom). */
function chiSquareBytes(bytes: Uint8Array): number {
  const counts = new Float64Array(256);
  for (const byte of bytes) counts[byte] = (counts[byte] as number) + 1;
  const expected = bytes.length / 256;
  let chi = 0;
  for (const count of counts) chi += (count - expected) ** 2 / expected;
  return chi;
}
/** χ²(255) exceeds 330.5 with probability 0.001: a uniform vector fails this by chance once in a thousand. */
const CHI2_255_P001 = 330.5;

describe("what the coordinator sees of one trainer", () => {
  it("a masked update is indistinguishable from uniform bytes, while the update itself is not", async () => {
    const run = await runSecAggRound({
      trainers: 5,
      threshold: 3,
      neighbours: 4,
      length: 8192,
      clip: 0.5,
      scale: 2 ** 20,
      seed: 42,
    });
    const [first] = run.result.survivors;
    const masked = run.maskedBytes.get(first as Address) as Uint8Array;
    expect(chiSquareBytes(masked)).toBeLessThan(CHI2_255_P001);
    // The same test does detect structure: the quantised update in the clear fails it by far.
    const clear = quantise(run.inputs.get(first as Address) as Float32Array, 0.5, 2 ** 20);
    expect(chiSquareBytes(new Uint8Array(clear.buffer))).toBeGreaterThan(10 * CHI2_255_P001);
    // and so does a vector only slightly off uniform (bytes 0xff read as 0: χ² ≈ 255 + 2 × 128 expected per bin).
    const skewed = masked.map((byte) => (byte === 0xff ? 0 : byte));
    expect(chiSquareBytes(skewed)).toBeGreaterThan(CHI2_255_P001);
  });
});

/** A round of `count` trainers past ShareKeys (complete graph): every trainer shared its keys. */
async function roundAfterSharing(count: number, threshold: number, length: number) {
  const wallets = testWallets(count);
  const context = testContext(wallets, { threshold, neighbours: count - 1 + ((count - 1) % 2), length });
  const server = new SecAggServer(context);
  const clients = context.participants.map(
    (trainer, i) => new SecAggClient(context, trainer, wallets[i] as (typeof wallets)[number]),
  );
  for (const client of clients) server.receiveAdvertisement(await client.advertiseKeys());
  server.closeAdvertising();
  for (const [i, client] of clients.entries()) {
    server.receiveShares(await client.shareKeys(server.neighbourKeysFor(context.participants[i] as Address)));
  }
  server.closeSharing();
  return { context, clients, server };
}

async function roundAtUnmasking() {
  const { context, clients, server } = await roundAfterSharing(5, 3, 16);
  for (const [i, client] of clients.entries()) {
    const trainer = context.participants[i] as Address;
    const { message, bytes } = await client.maskInput(server.deliveryFor(trainer), new Uint32Array(16));
    server.receiveMaskedInput(message, bytes);
  }
  return { clients, request: server.closeMaskedInputs() };
}

describe("a malicious coordinator", () => {
  it("is refused when it asks for both the self-mask and the masking-key share of one trainer in one request", async () => {
    const { clients, request } = await roundAtUnmasking();
    const victim = request.survivors[1] as Address;
    await expect((clients[0] as SecAggClient).unmask({ ...request, dropped: [victim] })).rejects.toMatchObject({
      code: "SECAGG_REFUSED",
      details: { peer: victim },
    });
  });

  it("is refused when it asks again, now calling a trainer dropped whose self-mask share it already has", async () => {
    const { clients, request } = await roundAtUnmasking();
    const client = clients[0] as SecAggClient;
    const answer = await client.unmask(request);
    const victim = request.survivors[1] as Address;
    expect(answer.selfMaskShares.map((share) => share.of)).toContain(victim);
    await expect(
      client.unmask({ ...request, survivors: request.survivors.filter((t) => t !== victim), dropped: [victim] }),
    ).rejects.toMatchObject({ code: "SECAGG_REFUSED", details: { peer: victim } });
  });

  it("cannot substitute a trainer's keys: an advertisement signed by another key is refused", async () => {
    const wallets = testWallets(4);
    const context = testContext(wallets, { threshold: 2, neighbours: 2, length: 4 });
    const server = new SecAggServer(context);
    const clients = context.participants.map(
      (trainer, i) => new SecAggClient(context, trainer, wallets[i] as (typeof wallets)[number]),
    );
    for (const client of clients) server.receiveAdvertisement(await client.advertiseKeys());
    server.closeAdvertising();
    const trainer = context.participants[0] as Address;
    const keys = server.neighbourKeysFor(trainer);
    const [first] = keys.advertisements;
    // The coordinator's own key pair, passed off as the neighbour's, under the signature of someone else.
    const impostor = new SecAggClient(
      context,
      context.participants[3] as Address,
      wallets[3] as (typeof wallets)[number],
    );
    const forged = { ...(await impostor.advertiseKeys()), trainer: (first as { trainer: Address }).trainer };
    await expect(
      (clients[0] as SecAggClient).shareKeys({ ...keys, advertisements: [forged, ...keys.advertisements.slice(1)] }),
    ).rejects.toMatchObject({
      code: "SECAGG_REFUSED",
    });
  });

  it("cannot make the server accept a masked input whose bytes differ from the signed hash", async () => {
    const { context, clients, server } = await roundAfterSharing(3, 2, 4);
    const trainer = context.participants[0] as Address;
    const { message, bytes } = await (clients[0] as SecAggClient).maskInput(
      server.deliveryFor(trainer),
      new Uint32Array(4),
    );
    const tampered = Uint8Array.from(bytes);
    tampered[0] = (tampered[0] as number) ^ 1;
    expect(() => server.receiveMaskedInput(message, tampered)).toThrow(/signed hash/);
  });
});
