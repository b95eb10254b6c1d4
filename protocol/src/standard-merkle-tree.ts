import sha3 from "js-sha3";

/**
 * OpenZeppelin's standard Merkle tree (`@openzeppelin/merkle-tree`'s `StandardMerkleTree`, which Solidity's
 * `MerkleProof` verifies) for leaves of static ABI types (`address`, `bytes32`, `uint256`), built without its
 * generic ABI coder and hex strings: `leaf = keccak256(keccak256(abi.encode(values)))`, leaves sorted, the tree
 * laid out as a complete binary tree in an array (leaves at its end, in reverse order), each node the keccak256 of
 * its children in sorted order. The same root and proofs, several times faster for a round of a thousand leaves.
 */

export type StaticAbiType = "address" | "bytes32" | "uint256";

const UINT256_LIMIT = 2n ** 256n;

function keccak(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(sha3.keccak256.arrayBuffer(bytes));
}

/** Writes hex (already checked to be hex) as bytes at `at` (no `Buffer`: protocol also runs in browsers). */
function hexInto(target: Uint8Array, at: number, hex: string): void {
  for (let index = 0; index < hex.length; index += 2) {
    target[at + index / 2] = Number.parseInt(hex.slice(index, index + 2), 16);
  }
}

/** `abi.encode(values)` for static types: one 32-byte word each. Throws `RangeError` on a value out of its type. */
export function encodeStatic(types: readonly StaticAbiType[], values: readonly unknown[]): Uint8Array {
  if (values.length !== types.length) throw new RangeError(`expected ${types.length} values, got ${values.length}`);
  const out = new Uint8Array(32 * types.length);
  types.forEach((type, index) => {
    const value = values[index];
    const at = 32 * index;
    if (type === "address") {
      if (typeof value !== "string" || !/^0x[0-9a-fA-F]{40}$/.test(value)) {
        throw new RangeError(`not an address: ${String(value)}`);
      }
      hexInto(out, at + 12, value.slice(2));
    } else if (type === "bytes32") {
      if (typeof value !== "string" || !/^0x[0-9a-fA-F]{64}$/.test(value)) {
        throw new RangeError(`not a bytes32: ${String(value)}`);
      }
      hexInto(out, at, value.slice(2));
    } else {
      if (typeof value !== "bigint" || value < 0n || value >= UINT256_LIMIT) {
        throw new RangeError(`not a uint256: ${String(value)}`);
      }
      hexInto(out, at, value.toString(16).padStart(64, "0"));
    }
  });
  return out;
}

function compare(a: Uint8Array, b: Uint8Array): number {
  for (let index = 0; index < 32; index++) {
    const difference = (a[index] as number) - (b[index] as number);
    if (difference !== 0) return difference;
  }
  return 0;
}

const HEX = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, "0"));
function toHex(bytes: Uint8Array): string {
  let text = "0x";
  for (const byte of bytes) text += HEX[byte];
  return text;
}

/** The standard leaf hash of some values. */
export function standardLeafHash(types: readonly StaticAbiType[], values: readonly unknown[]): Uint8Array {
  return keccak(keccak(encodeStatic(types, values)));
}

export interface StandardTree {
  readonly root: `0x${string}`;
  /** The proof of the leaf made from `values[index]` (the input order), as `StandardMerkleTree.getProof(index)`. */
  proof(index: number): `0x${string}`[];
}

/** The standard tree of these leaves' values (at least one). */
export function standardTree(types: readonly StaticAbiType[], values: readonly (readonly unknown[])[]): StandardTree {
  if (values.length === 0) throw new RangeError("a Merkle tree needs at least one leaf");
  const hashed = values.map((value, index) => ({ index, hash: standardLeafHash(types, value) }));
  hashed.sort((a, b) => compare(a.hash, b.hash));
  const tree: Uint8Array[] = new Array(2 * hashed.length - 1);
  const treeIndex = new Array<number>(values.length);
  hashed.forEach(({ index, hash }, position) => {
    tree[tree.length - 1 - position] = hash;
    treeIndex[index] = tree.length - 1 - position;
  });
  const pair = new Uint8Array(64);
  for (let node = tree.length - 1 - hashed.length; node >= 0; node--) {
    const left = tree[2 * node + 1] as Uint8Array;
    const right = tree[2 * node + 2] as Uint8Array;
    const [first, second] = compare(left, right) <= 0 ? [left, right] : [right, left];
    pair.set(first, 0);
    pair.set(second, 32);
    tree[node] = keccak(pair);
  }
  return {
    root: toHex(tree[0] as Uint8Array) as `0x${string}`,
    proof(index) {
      let at = treeIndex[index];
      if (at === undefined) throw new RangeError(`no leaf ${index}`);
      const proof: `0x${string}`[] = [];
      while (at > 0) {
        const sibling = at % 2 === 1 ? at + 1 : at - 1;
        proof.push(toHex(tree[sibling] as Uint8Array) as `0x${string}`);
        at = Math.floor((at - 1) / 2);
      }
      return proof;
    },
  };
}
