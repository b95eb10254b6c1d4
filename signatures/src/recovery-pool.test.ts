import { recoverAddress as ethersRecover, getBytes, hexlify, randomBytes, verifyTypedData, Wallet } from "ethers";
import { afterEach, describe, expect, it } from "vitest";
import { RecoveryPool } from "./recovery-pool.js";
import { addressWord, bytes32Word, recoverAddress, StaticTypedData, uintWord } from "./static-typed-data.js";

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

const TYPES = {
  Sample: [
    { name: "id", type: "uint256" },
    { name: "who", type: "address" },
    { name: "hash", type: "bytes32" },
  ],
};

/** 60 values of a struct signed with EIP-712 by random keys, and the address ethers' `verifyTypedData` recovers. */
async function typedRequests(domain: { chainId: bigint; verifyingContract: string }) {
  return Promise.all(
    Array.from({ length: 60 }, async (_, index) => {
      const wallet = new Wallet(hexlify(randomBytes(32)));
      const value = {
        id: BigInt(hexlify(randomBytes(32))),
        who: hexlify(randomBytes(20)),
        hash: hexlify(randomBytes(32)),
      };
      let signature = getBytes(await wallet.signTypedData(domain, TYPES, value));
      // Every tenth: a value other than the one signed (another signer), or a v no key makes (none).
      if (index % 10 === 1) value.id += 1n;
      if (index % 10 === 2) signature = Uint8Array.from([...signature.subarray(0, 64), 29]);
      const expected =
        index % 10 === 2 ? undefined : verifyTypedData(domain, TYPES, value, hexlify(signature)).toLowerCase();
      const words = [uintWord(value.id), addressWord(value.who), bytes32Word(value.hash)];
      return { words, signature, expected };
    }),
  );
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

  it("hashes EIP-712 values into their digests and recovers their signers on its workers, as ethers does", async () => {
    const domain = { chainId: 31337n, verifyingContract: hexlify(randomBytes(20)) };
    const typed = new StaticTypedData(domain, TYPES);
    const all = await typedRequests(domain);
    pool = new RecoveryPool(2);
    // Mixed in one batch with requests by digest.
    const digests = requests().slice(0, 20);
    const answers = await Promise.all([
      ...all.map(({ words, signature }) => pool?.recoverTypedAddress(typed, words, signature)),
      ...digests.map(({ digest, signature }) => pool?.recoverAddress(digest, signature)),
    ]);
    expect(answers).toEqual([...all.map(({ expected }) => expected), ...digests.map(({ expected }) => expected)]);
    expect(pool.size).toBe(2);
    // Closed: the same answers on the calling thread.
    await pool.close();
    expect(
      await Promise.all(all.map(({ words, signature }) => pool?.recoverTypedAddress(typed, words, signature))),
    ).toEqual(all.map(({ expected }) => expected));
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
