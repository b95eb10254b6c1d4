import { AbiCoder, concat, getBytes, keccak256 } from "ethers";
import { describe, expect, it } from "vitest";
import type { Address, Bytes32 } from "./ids.js";
import {
  buildPayoutTree,
  buildRoundTree,
  type PayoutLeaf,
  payoutLeafHash,
  type RoundLeaf,
  roundLeafHash,
  verifyPayoutProof,
  verifyRoundProof,
} from "./merkle-leaves.js";

// Independent reference: the leaf and node hashing of OpenZeppelin's MerkleProof.sol written out by hand.
const abi = AbiCoder.defaultAbiCoder();
const refLeaf = (types: string[], values: unknown[]) => keccak256(keccak256(abi.encode(types, values)));
const refPair = (a: string, b: string) =>
  keccak256(concat(BigInt(a) < BigInt(b) ? [getBytes(a), getBytes(b)] : [getBytes(b), getBytes(a)]));

const addr = (n: number) => `0x${n.toString(16).padStart(40, "0")}` as Address;
const hash = (n: number) => `0x${n.toString(16).padStart(64, "0")}` as Bytes32;

const roundLeaves: RoundLeaf[] = [
  { trainer: addr(1), updateHash: hash(11), numExamples: 600n, score: 4n * 10n ** 17n },
  { trainer: addr(2), updateHash: hash(22), numExamples: 900n, score: 6n * 10n ** 17n },
];

describe("Merkle leaves", () => {
  it("hashes a round leaf as keccak256(keccak256(abi.encode(trainer, updateHash, numExamples, score)))", () => {
    for (const leaf of roundLeaves) {
      expect(roundLeafHash(leaf)).toBe(
        refLeaf(
          ["address", "bytes32", "uint256", "uint256"],
          [leaf.trainer, leaf.updateHash, leaf.numExamples, leaf.score],
        ),
      );
    }
  });

  it("hashes a payout leaf as keccak256(keccak256(abi.encode(trainer, amount)))", () => {
    const leaf: PayoutLeaf = { trainer: addr(9), amount: 123_456_789n };
    expect(payoutLeafHash(leaf)).toBe(refLeaf(["address", "uint256"], [leaf.trainer, leaf.amount]));
  });

  it("builds the root MerkleProof expects: sorted-pair hash of the leaves", () => {
    const [a, b] = roundLeaves.map(roundLeafHash) as [string, string];
    expect(buildRoundTree(roundLeaves).root).toBe(refPair(a, b));
  });

  it("gives proofs that fold to the root under the reference hashing, for every leaf of an odd-sized tree", () => {
    const leaves: PayoutLeaf[] = Array.from({ length: 7 }, (_, i) => ({
      trainer: addr(i + 1),
      amount: BigInt(i * 1000 + 1),
    }));
    const tree = buildPayoutTree(leaves);
    leaves.forEach((leaf, index) => {
      const proof = tree.proof(index);
      const folded = proof.reduce<string>((node, sibling) => refPair(node, sibling), payoutLeafHash(leaf));
      expect(folded).toBe(tree.root);
      expect(verifyPayoutProof(tree.root, leaf, proof)).toBe(true);
      expect(verifyPayoutProof(tree.root, { ...leaf, amount: leaf.amount + 1n }, proof)).toBe(false);
    });
  });

  it("rejects a proof for a leaf whose score was altered", () => {
    const tree = buildRoundTree(roundLeaves);
    const [first] = roundLeaves as [RoundLeaf];
    expect(verifyRoundProof(tree.root, first, tree.proof(0))).toBe(true);
    expect(verifyRoundProof(tree.root, { ...first, score: first.score + 1n }, tree.proof(0))).toBe(false);
  });

  it("refuses to build an empty tree", () => {
    expect(() => buildPayoutTree([])).toThrow(RangeError);
  });
});
