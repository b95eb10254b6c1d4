import { afterEach, describe, expect, it } from "vitest";
import { Sha256Pool } from "./sha256-pool.js";

let pool: Sha256Pool | undefined;
afterEach(async () => {
  await pool?.close();
  pool = undefined;
});

const text = (value: string) => new TextEncoder().encode(value);

/** FIPS 180-2 appendix B's SHA-256 examples (and the empty message's digest). */
const VECTORS: [Uint8Array, string][] = [
  [text("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"],
  [
    text("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
    "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
  ],
  [new Uint8Array(1_000_000).fill(0x61), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"],
  [new Uint8Array(0), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"],
];

/** The vectors again, each as a view in the middle of a larger buffer (as the network hands updates over). */
function asViews(): [Uint8Array, string][] {
  return VECTORS.map(([bytes, digest]) => {
    const larger = new Uint8Array(bytes.byteLength + 100).fill(0xee);
    larger.set(bytes, 37);
    return [larger.subarray(37, 37 + bytes.byteLength), digest];
  });
}

describe("Sha256Pool", () => {
  it("gives FIPS 180-2's digests on its workers, for whole buffers and views into larger ones, asked together", async () => {
    pool = new Sha256Pool(2);
    // As Buffers too (what socket.io hands over), views into a larger one included.
    const buffers = asViews().map(([bytes, digest]): [Uint8Array, string] => [
      Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength),
      digest,
    ]);
    const all = [...VECTORS, ...asViews(), ...buffers, ...VECTORS];
    const digests = await Promise.all(all.map(([bytes]) => pool?.sha256(bytes)));
    expect(digests.map((digest) => digest?.toString("hex"))).toEqual(all.map(([, digest]) => digest));
    expect(pool.size).toBe(2);
    // The caller's buffers are left as they were (none moved to the worker).
    expect(all[0]?.[0]).toEqual(text("abc"));
    expect(buffers[0]?.[0]).toEqual(Buffer.from("abc"));
  });

  it("gives the same digests on the calling thread with no workers and once closed", async () => {
    const none = new Sha256Pool(0);
    expect(none.size).toBe(0);
    expect((await Promise.all(asViews().map(([bytes]) => none.sha256(bytes)))).map((d) => d.toString("hex"))).toEqual(
      VECTORS.map(([, digest]) => digest),
    );
    pool = new Sha256Pool(1);
    const pending = VECTORS.map(([bytes]) => pool?.sha256(bytes));
    await pool.close();
    expect(pool.size).toBe(0);
    const after = VECTORS.map(([bytes]) => pool?.sha256(bytes));
    expect((await Promise.all([...pending, ...after])).map((digest) => digest?.toString("hex"))).toEqual(
      [...VECTORS, ...VECTORS].map(([, digest]) => digest),
    );
  });
});
