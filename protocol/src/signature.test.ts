import { Wallet } from "ethers";
import { describe, expect, it } from "vitest";
import { recoverModelUpdateSigner, signModelUpdate, tributaryDomain } from "./eip712.js";
import type { Address } from "./ids.js";
import type { ModelUpdateHeader } from "./model-update.js";
import { SignedModelUpdateSchema } from "./model-update.js";
import { InvalidInputError, parseInput } from "./parse.js";
import { InvalidSignatureError, recoverMessageSigner } from "./signature.js";
import { LoginSchema, loginMessage } from "./socket-messages.js";

/** Order of the secp256k1 group (SEC 2, section 2.4.1). */
const N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
const hex32 = (value: bigint) => value.toString(16).padStart(64, "0");
const ZERO_SIGNATURE = `0x${"00".repeat(65)}`;
const NONCE = `0x${"ab".repeat(32)}`;
const verifyingContract = "0x5fbdb2315678afecb367f032d93f642f64180aa3" as Address;
const domain = tributaryDomain(31337n, verifyingContract);

function issuesOf(schema: Parameters<typeof parseInput>[0], input: unknown, what: string): string[] {
  try {
    parseInput(schema, input, what);
  } catch (error) {
    if (error instanceof InvalidInputError) return error.issues.map((issue) => `${issue.path}: ${issue.message}`);
    throw error;
  }
  throw new Error("the input was accepted");
}

function header(trainer: string): ModelUpdateHeader {
  return {
    jobId: "1" as ModelUpdateHeader["jobId"],
    round: 0,
    trainer: trainer.toLowerCase() as Address,
    datasetId: "3" as ModelUpdateHeader["datasetId"],
    numExamples: 100,
    updateHash: `0x${"cd".repeat(32)}`,
    metrics: { loss: 1.5 },
    epsilonSpent: null,
    delta: 0,
    nonce: `0x${"77".repeat(32)}`,
  };
}

describe("signatures", () => {
  it("refuses an all-zero 65-byte signature on login and on an update header, naming the path", () => {
    const login = { address: `0x${"11".repeat(20)}`, datasetId: "1", signature: ZERO_SIGNATURE };
    expect(issuesOf(LoginSchema, login, "login")).toEqual([
      "login.signature: r must be in 1 … n − 1 (secp256k1 group order)",
    ]);
    const update = { ...header(`0x${"11".repeat(20)}`), signature: ZERO_SIGNATURE };
    expect(issuesOf(SignedModelUpdateSchema, update, "update header")).toEqual([
      "update header.signature: r must be in 1 … n − 1 (secp256k1 group order)",
    ]);
  });

  it("refuses r = n, s = 0, a high s (EIP-2) and v outside {27, 28}", () => {
    const r = hex32(5n);
    const cases: [string, string][] = [
      [`0x${hex32(N)}${hex32(7n)}1b`, "r must be in 1 … n − 1 (secp256k1 group order)"],
      [`0x${r}${hex32(0n)}1b`, "s must be in 1 … n/2 (EIP-2 low s)"],
      [`0x${r}${hex32(N / 2n + 1n)}1b`, "s must be in 1 … n/2 (EIP-2 low s)"],
      [`0x${r}${hex32(7n)}00`, "v must be 27 or 28, not 0"],
      [`0x${r}${hex32(7n)}1d`, "v must be 27 or 28, not 29"],
    ];
    for (const [signature, message] of cases) {
      expect(issuesOf(LoginSchema, { address: `0x${"11".repeat(20)}`, datasetId: "1", signature }, "login")).toEqual([
        `login.signature: ${message}`,
      ]);
    }
  });

  it("recovers a login signer, and turns a signature whose r is on no curve point into InvalidSignatureError", async () => {
    const wallet = Wallet.createRandom();
    const signature = await wallet.signMessage(loginMessage(NONCE));
    expect(recoverMessageSigner(loginMessage(NONCE), signature, "login.signature")).toBe(wallet.address.toLowerCase());
    // x = 5 is not the x-coordinate of a secp256k1 point: 5³ + 7 = 132 is not a square mod p.
    const offCurve = `0x${hex32(5n)}${hex32(7n)}1b`;
    expect(LoginSchema.safeParse({ address: wallet.address, datasetId: "1", signature: offCurve }).success).toBe(true);
    const error = (() => {
      try {
        recoverMessageSigner(loginMessage(NONCE), offCurve, "login.signature");
      } catch (thrown) {
        return thrown;
      }
    })();
    expect(error).toBeInstanceOf(InvalidSignatureError);
    expect((error as InvalidSignatureError).code).toBe("INVALID_INPUT");
    expect((error as InvalidSignatureError).issues[0]?.path).toBe("login.signature");
    expect(() => recoverMessageSigner(loginMessage(NONCE), ZERO_SIGNATURE, "login.signature")).toThrow(
      "invalid login: login.signature: invalid signature: r must be in 1 … n − 1 (secp256k1 group order)",
    );
  });

  it("makes update recovery throw InvalidSignatureError, not a raw curve error", async () => {
    const wallet = Wallet.createRandom();
    const signed = await signModelUpdate(wallet, domain, header(wallet.address));
    expect(recoverModelUpdateSigner(domain, signed)).toBe(wallet.address.toLowerCase());
    const offCurve = { ...signed, signature: `0x${hex32(5n)}${hex32(7n)}1b` };
    expect(() => recoverModelUpdateSigner(domain, offCurve)).toThrow(InvalidSignatureError);
    expect(() => recoverModelUpdateSigner(domain, { ...signed, signature: ZERO_SIGNATURE })).toThrow(
      /^invalid update: update\.signature: invalid signature: r must be/,
    );
  });
});
