import { hexlify, randomBytes, TypedDataEncoder } from "ethers";
import { describe, expect, it } from "vitest";
import { addressWord, bytes32Word, StaticTypedData, typedDataDigest, uintWord } from "./static-typed-data.js";

/** A struct with every kind of static field StaticTypedData takes. */
const TYPES = {
  Sample: [
    { name: "id", type: "uint256" },
    { name: "round", type: "uint32" },
    { name: "who", type: "address" },
    { name: "count", type: "uint64" },
    { name: "hash", type: "bytes32" },
  ],
};

describe("StaticTypedData", () => {
  it("gives ethers' TypedDataEncoder.hash for 100 random values of a struct of uint256, uint32, address, uint64, bytes32", () => {
    const domain = { name: "Tributary", version: "1", chainId: 31337n, verifyingContract: hexlify(randomBytes(20)) };
    const typed = new StaticTypedData(domain, TYPES);
    for (let i = 0; i < 100; i++) {
      const value = {
        id: BigInt(hexlify(randomBytes(32))),
        round: Number.parseInt(hexlify(randomBytes(4)), 16),
        who: hexlify(randomBytes(20)),
        count: BigInt(hexlify(randomBytes(8))),
        hash: hexlify(randomBytes(32)),
      };
      const digest = typed.digest([
        uintWord(value.id),
        uintWord(BigInt(value.round)),
        addressWord(value.who),
        uintWord(value.count),
        bytes32Word(value.hash),
      ]);
      expect(hexlify(digest)).toBe(TypedDataEncoder.hash(domain, TYPES, value));
      // The struct encoding and the domain separator, hashed apart (as the recovery workers do): the same digest.
      const words = [
        uintWord(value.id),
        uintWord(BigInt(value.round)),
        addressWord(value.who),
        uintWord(value.count),
        bytes32Word(value.hash),
      ];
      expect(hexlify(typed.domainSeparator)).toBe(TypedDataEncoder.hashDomain(domain));
      expect(hexlify(typed.encode(words))).toBe(TypedDataEncoder.from(TYPES).encodeData("Sample", value));
      expect(hexlify(typedDataDigest(typed.domainSeparator, typed.encode(words)))).toBe(
        TypedDataEncoder.hash(domain, TYPES, value),
      );
    }
  });

  it("refuses a struct with a dynamic field", () => {
    expect(() => new StaticTypedData({}, { Bad: [{ name: "text", type: "string" }] })).toThrow(/not a 32-byte/);
  });
});
