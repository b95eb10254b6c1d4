import { randomBytes } from "node:crypto";
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { describe, expect, it } from "vitest";
import { type StaticAbiType, standardTree } from "./standard-merkle-tree.js";

const hex = (bytes: number) => `0x${randomBytes(bytes).toString("hex")}`;
const uint = () => BigInt(hex(1 + ((randomBytes(1)[0] as number) % 32)));

const ROUND: StaticAbiType[] = ["address", "bytes32", "uint256", "uint256"];
const PAYOUT: StaticAbiType[] = ["address", "uint256"];

// The reference: OpenZeppelin's own StandardMerkleTree (what the contracts' MerkleProof is tested against).
describe("standardTree", () => {
  it("gives OpenZeppelin's root and every proof, for 1 to 65 leaves of both shapes, duplicates and extremes included", () => {
    for (const count of [1, 2, 3, 4, 5, 6, 7, 8, 9, 16, 17, 31, 64, 65]) {
      const round = Array.from({ length: count }, () => [hex(20), hex(32), uint(), uint()]);
      // A leaf twice, and the extreme values of a uint256.
      if (count > 2) round[1] = [...(round[0] as (string | bigint)[])];
      if (count > 3) round[2] = [hex(20).toUpperCase().replace("0X", "0x"), hex(32), 0n, 2n ** 256n - 1n];
      const payout = Array.from({ length: count }, () => [hex(20), uint()]);
      for (const [types, values] of [
        [ROUND, round],
        [PAYOUT, payout],
      ] as const) {
        const reference = StandardMerkleTree.of(
          values.map((value) => [...value]),
          [...types],
        );
        const fast = standardTree(types, values);
        expect(fast.root).toBe(reference.root);
        for (const index of values.keys()) expect(fast.proof(index)).toEqual(reference.getProof(index));
      }
    }
  });

  it("refuses what the ABI cannot encode, and an empty tree", () => {
    expect(() => standardTree(PAYOUT, [[hex(20), -1n]])).toThrow(RangeError);
    expect(() => standardTree(PAYOUT, [[hex(20), 2n ** 256n]])).toThrow(RangeError);
    expect(() => standardTree(PAYOUT, [[hex(19), 1n]])).toThrow(RangeError);
    expect(() => standardTree(ROUND, [[hex(20), hex(31), 1n, 1n]])).toThrow(RangeError);
    expect(() => standardTree(PAYOUT, [])).toThrow(RangeError);
  });
});
