import { recoverAddress as ethersRecover, getBytes, hexlify, randomBytes, Wallet } from "ethers";
import { afterEach, describe, expect, it } from "vitest";
import { RecoveryPool } from "./recovery-pool.js";
import { recoverAddress } from "./static-typed-data.js";

let pool: RecoveryPool | undefined;
afterEach(async () => {
  await pool?.close();
  pool = undefined;
});

/** 150 signatures by random keys, and signatures no key made: v outside 27/28, r = 0, s = n, r beyond the field. */
function requests() {
  const valid = Array.from({ length: 150 }, () => {
    const wallet = new Wallet(hexlify(randomBytes(32)));
    const digest = randomBytes(32);
    const serialized = wallet.signingKey.sign(digest).serialized;
    const expected = ethersRecover(digest, serialized).toLowerCase() as string | undefined;
    return { digest, signature: getBytes(serialized), expected };
  });
  const [first] = valid as [(typeof valid)[number]];
  const bent = (change: (signature: Uint8Array) => void) => {
    const signature = Uint8Array.from(first.signature);
    change(signature);
    return { digest: first.digest, signature, expected: undefined };
  };
  const n = getBytes("0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141");
  const invalid = [
    bent((signature) => {
      signature[64] = 29;
    }),
    bent((signature) => signature.fill(0, 0, 32)),
    bent((signature) => signature.set(n, 32)),
    bent((signature) => signature.fill(0xff, 0, 32)),
  ];
  return [...valid, ...invalid];
}

describe("RecoveryPool", () => {
  it("recovers on its workers the addresses ethers recovers, and none for signatures no key made", async () => {
    pool = new RecoveryPool(2);
    expect(pool.size).toBe(2);
    const all = requests();
    // Asked in one turn of the event loop: batched to the workers.
    const answers = await Promise.all(all.map(({ digest, signature }) => pool?.recoverAddress(digest, signature)));
    expect(answers).toEqual(all.map(({ expected }) => expected));
    expect(pool.size).toBe(2);
    // The same as the calling thread's recovery, request by request.
    expect(answers).toEqual(all.map(({ digest, signature }) => recoverAddress(digest, signature)));
  });

  it("still answers, on the calling thread, once closed and when it has no workers", async () => {
    pool = new RecoveryPool(1);
    const all = requests();
    await pool.close();
    expect(pool.size).toBe(0);
    expect(await Promise.all(all.map(({ digest, signature }) => pool?.recoverAddress(digest, signature)))).toEqual(
      all.map(({ expected }) => expected),
    );
    const none = new RecoveryPool(0);
    const [first] = all as [(typeof all)[number]];
    expect(await none.recoverAddress(first.digest, first.signature)).toBe(first.expected);
  });
});
