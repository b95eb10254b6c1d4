import { AbiCoder, concat, hexlify, keccak256, randomBytes, TypedDataEncoder, toUtf8Bytes, Wallet } from "ethers";
import { describe, expect, it } from "vitest";
import {
  C2D_RUN_REQUEST_TYPES,
  type C2dRunRequest,
  C2dRunRequestSchema,
  c2dRequestDigest,
  recoverC2dRunRequestSigner,
  signC2dRunRequest,
} from "./c2d-request.js";
import { parseInput } from "./parse.js";

const wallet = new Wallet(hexlify(randomBytes(32)));

const request: C2dRunRequest = parseInput(
  C2dRunRequestSchema,
  {
    datasetId: "7",
    datasetCommitment: `0x${"ab".repeat(32)}`,
    algorithm: "dp-count",
    algorithmHash: `0x${"01".repeat(32)}`,
    paramsHash: `0x${"02".repeat(32)}`,
    researcher: wallet.address,
    nonce: `0x${"03".repeat(32)}`,
    expiresAt: 1_700_000_600,
  },
  "request",
);

describe("compute-to-data run requests", () => {
  it("are EIP-712 typed data whose digest is keccak256(0x1901 ‖ domainSeparator ‖ structHash), written out", async () => {
    const typeString =
      "C2dRunRequest(uint256 datasetId,bytes32 datasetCommitment,string algorithm,bytes32 algorithmHash,bytes32 paramsHash,address researcher,bytes32 nonce,uint64 expiresAt)";
    expect(TypedDataEncoder.from(C2D_RUN_REQUEST_TYPES).encodeType("C2dRunRequest")).toBe(typeString);
    const abi = AbiCoder.defaultAbiCoder();
    const domainSeparator = keccak256(
      abi.encode(
        ["bytes32", "bytes32", "bytes32"],
        [
          keccak256(toUtf8Bytes("EIP712Domain(string name,string version)")),
          keccak256(toUtf8Bytes("Tributary compute-to-data")),
          keccak256(toUtf8Bytes("1")),
        ],
      ),
    );
    const structHash = keccak256(
      abi.encode(
        ["bytes32", "uint256", "bytes32", "bytes32", "bytes32", "bytes32", "address", "bytes32", "uint64"],
        [
          keccak256(toUtf8Bytes(typeString)),
          7n,
          request.datasetCommitment,
          keccak256(toUtf8Bytes("dp-count")),
          request.algorithmHash,
          request.paramsHash,
          request.researcher,
          request.nonce,
          1_700_000_600n,
        ],
      ),
    );
    expect(c2dRequestDigest(request)).toBe(keccak256(concat(["0x1901", domainSeparator, structHash])));
    const signature = await signC2dRunRequest(wallet, request);
    expect(recoverC2dRunRequestSigner(request, signature)).toBe(wallet.address.toLowerCase());
    expect(recoverC2dRunRequestSigner({ ...request, paramsHash: `0x${"04".repeat(32)}` }, signature)).not.toBe(
      wallet.address.toLowerCase(),
    );
  });

  it("refuses an algorithm name that is not lower-case hyphenated words", () => {
    expect(() => parseInput(C2dRunRequestSchema, { ...request, algorithm: "DP count" }, "request")).toThrow(
      /request.algorithm/,
    );
  });
});
