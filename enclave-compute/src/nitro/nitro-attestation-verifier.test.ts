import { createHash } from "node:crypto";
import type { Address } from "@tributary/protocol";
import { keccak256 } from "ethers";
import { describe, expect, it } from "vitest";
import { readNitroVector } from "../../test-support/nitro-test-documents.js";
import { rejection } from "../../test-support/rejection.js";
import { coseSign1SigStructure, decodeCoseSign1 } from "./cose-sign1.js";
import { NitroAttestationVerifier } from "./nitro-attestation-verifier.js";

// Published values, none computed by the code under test:
// - test/vectors/nitro/README.md (from the shared test vectors' README): sha256, module_id, digest, 16 PCRs,
//   5 certificates (4 in cabundle + the leaf), leaf validity, the AWS root's fingerprint.
const VECTOR_SHA256 = "69d51f984229a1bc4009ac2029b1a7f5d255ada7239004b8cda5d06dcdbd365f";
const MODULE_ID = "i-0de38b2b6853cc9e8-enc0193685e7fee7d85";
const AWS_ROOT = "641A0321A3E244EFE456463195D606317ED7CDCC3C1756E09893F3C68F79BB5B";
const LEAF_NOT_BEFORE = Date.UTC(2024, 10, 30, 16, 22, 45);
const LEAF_NOT_AFTER = Date.UTC(2024, 10, 30, 19, 22, 48);
const AT = 1_732_990_000_000;
// - the public Rust port of Base's NitroValidator tests pins, for this very document, keccak256 of the COSE
//   Sig_structure ("attestation TBS") and the Ethereum address of its public_key.
const SIG_STRUCTURE_KECCAK = "0x59be5f503462c721f5cfc602b612d9f633496681e429b172605f966458abd8e1";
const VECTOR_SIGNER = "0x3c32C4Ad111a12D7d3Af032cfFAff7789dfa555f" as Address;

/** Freshness wide enough for the vector at `AT` (issued 1 h 44 min before): the leaf's own 3-hour lifetime. */
const WINDOW = { maxAgeMs: 3 * 3_600_000 };

const vector = readNitroVector();

function indexOf(bytes: Uint8Array, needle: string): number {
  return Buffer.from(bytes).indexOf(Buffer.from(needle, "latin1"));
}

/**
 * A second reading of the document, by hand from its bytes: after the text key "pcrs" comes a map of 16 (0xb0) of
 * `index, bstr(48)` pairs; after "timestamp", a uint64 (0x1b + 8 bytes).
 */
function readByHand(bytes: Uint8Array): { pcrs: string[]; timestamp: number } {
  const buffer = Buffer.from(bytes);
  let at = indexOf(bytes, "dpcrs") + 5;
  expect(buffer[at++]).toBe(0xb0);
  const pcrs: string[] = [];
  for (let index = 0; index < 16; index++) {
    expect([buffer[at], buffer[at + 1], buffer[at + 2]]).toEqual([index, 0x58, 0x30]);
    pcrs.push(buffer.subarray(at + 3, at + 51).toString("hex"));
    at += 51;
  }
  const stamp = indexOf(bytes, "itimestamp") + 10;
  expect(buffer[stamp]).toBe(0x1b);
  return { pcrs, timestamp: Number(buffer.readBigUInt64BE(stamp + 1)) };
}

function flipBit(bytes: Uint8Array, index: number, bit = 0): Uint8Array {
  const copy = Uint8Array.from(bytes);
  copy[index] = (copy[index] as number) ^ (1 << bit);
  return copy;
}

describe("NitroAttestationVerifier on the real AWS document", () => {
  const byHand = readByHand(vector);

  it("reads the vector the README names", () => {
    expect(vector.length).toBe(4528);
    expect(createHash("sha256").update(vector).digest("hex")).toBe(VECTOR_SHA256);
  });

  it("verifies as of unix 1732990000 and returns what the document says", async () => {
    const claims = await new NitroAttestationVerifier(WINDOW).verify(vector, AT);
    expect(claims.kind).toBe("nitro");
    expect(claims.simulated).toBe(false);
    expect(claims.moduleId).toBe(MODULE_ID);
    expect(claims.digest).toBe("SHA384");
    expect(Object.values(claims.pcrs)).toEqual(byHand.pcrs);
    expect(Object.keys(claims.pcrs).map(Number)).toEqual([...Array(16).keys()]);
    expect(claims.measurement).toBe(byHand.pcrs[0]);
    expect(claims.issuedAt).toBe(byHand.timestamp);
    expect(claims.certificates).toHaveLength(5);
    expect(claims.certificates[0]?.fingerprint).toBe(AWS_ROOT.toLowerCase());
    expect(claims.certificates[0]?.subject).toContain("CN=aws.nitro-enclaves");
    expect(claims.certificates[4]?.notBefore).toBe(LEAF_NOT_BEFORE);
    expect(claims.certificates[4]?.notAfter).toBe(LEAF_NOT_AFTER);
    expect(claims.signer).toBe(VECTOR_SIGNER.toLowerCase());
    expect(claims.publicKey).toHaveLength(65);
    expect(claims.userData).toHaveLength(0);
    expect(claims.nonce).toHaveLength(0);
  });

  it("signs the Sig_structure the public Base fixture hashes", () => {
    const message = decodeCoseSign1(vector);
    expect(keccak256(coseSign1SigStructure(message.protectedHeader, message.payload))).toBe(SIG_STRUCTURE_KECCAK);
  });

  it("accepts the same message tagged as COSE_Sign1 (tag 18)", async () => {
    const tagged = Uint8Array.from([0xd2, ...vector]);
    expect(await rejection(new NitroAttestationVerifier(WINDOW).verify(tagged, AT))).toBeUndefined();
  });

  it("is expired at today's date, and valid up to its leaf's last second only", async () => {
    const verifier = new NitroAttestationVerifier({ maxAgeMs: Number.MAX_SAFE_INTEGER });
    const today = await rejection(verifier.verify(vector, Date.now()));
    expect(today?.reason).toBe("expired");
    expect(today?.message).toMatch(/expired/);
    expect(await rejection(verifier.verify(vector, LEAF_NOT_AFTER))).toBeUndefined();
    expect((await rejection(verifier.verify(vector, LEAF_NOT_AFTER + 1000)))?.reason).toBe("expired");
    expect((await rejection(verifier.verify(vector, LEAF_NOT_BEFORE - 1000)))?.reason).toBe("not-yet-valid");
  });

  it("refuses one flipped bit in the signature", async () => {
    const verifier = new NitroAttestationVerifier(WINDOW);
    const signatureStart = vector.length - 96;
    for (let index = signatureStart; index < vector.length; index += 7) {
      const refused = await rejection(verifier.verify(flipBit(vector, index, index % 8), AT));
      expect(refused?.reason, `byte ${index}`).toBe("bad-signature");
      expect(refused?.message).toMatch(/signature/);
    }
  });

  it("refuses one flipped bit in the payload: a PCR, the timestamp, the module id, the public key", async () => {
    const verifier = new NitroAttestationVerifier(WINDOW);
    const places = [
      indexOf(vector, "dpcrs") + 5 + 1 + 3 + 10, // inside PCR0's value
      indexOf(vector, "itimestamp") + 10 + 8, // the timestamp's last byte
      indexOf(vector, MODULE_ID) + 5,
      indexOf(vector, "jpublic_key") + 11 + 2 + 20,
    ];
    for (const index of places) {
      const refused = await rejection(verifier.verify(flipBit(vector, index), AT));
      expect(refused?.reason, `byte ${index}`).toBe("bad-signature");
    }
  });

  it("refuses a flipped bit at every 23rd byte of the whole document, whatever it hits", async () => {
    const verifier = new NitroAttestationVerifier(WINDOW);
    for (let index = 0; index < vector.length; index += 23) {
      expect(await rejection(verifier.verify(flipBit(vector, index, index % 8), AT)), `byte ${index}`).toBeDefined();
    }
  });

  it("refuses trailing bytes and non-minimal CBOR, though the signed bytes are unchanged", async () => {
    const verifier = new NitroAttestationVerifier(WINDOW);
    expect((await rejection(verifier.verify(Uint8Array.from([...vector, 0]), AT)))?.reason).toBe("malformed");
    // The payload's length 0x1144 written in 4 bytes (0x5a) instead of 2 (0x59): same payload, same signature.
    expect([...vector.subarray(7, 10)]).toEqual([0x59, 0x11, 0x44]);
    const longLength = Uint8Array.from([...vector.subarray(0, 7), 0x5a, 0, 0, 0x11, 0x44, ...vector.subarray(10)]);
    expect((await rejection(verifier.verify(longLength, AT)))?.reason).toBe("malformed");
  });

  it("refuses a document older than the freshness window", async () => {
    const age = AT - byHand.timestamp;
    const refused = await rejection(new NitroAttestationVerifier({ maxAgeMs: age - 1 }).verify(vector, AT));
    expect(refused?.reason).toBe("stale");
    expect(refused?.message).toMatch(/stale/);
    expect(await rejection(new NitroAttestationVerifier({ maxAgeMs: age }).verify(vector, AT))).toBeUndefined();
    // The default window (10 minutes) is far shorter than the vector's age at AT.
    expect((await rejection(new NitroAttestationVerifier().verify(vector, AT)))?.reason).toBe("stale");
  });

  it("refuses it where a nonce is required: it answers no challenge", async () => {
    const refused = await rejection(new NitroAttestationVerifier({ ...WINDOW, requireNonce: true }).verify(vector, AT));
    expect(refused?.reason).toBe("nonce-mismatch");
    expect(refused?.message).toMatch(/nonce/);
  });

  it("applies the PCR allowlist: every listed PCR must match one entry", async () => {
    const [pcr0, pcr1, pcr2, , pcr4] = byHand.pcrs as [string, string, string, string, string];
    const other = "ab".repeat(48);
    const verify = (allowedPcrs: Record<number, string>[]) =>
      rejection(new NitroAttestationVerifier({ ...WINDOW, allowedPcrs }).verify(vector, AT));
    expect(await verify([{ 0: pcr0, 1: pcr1, 2: pcr2 }])).toBeUndefined();
    expect(await verify([{ 0: other }, { 0: pcr0.toUpperCase(), 4: pcr4 }])).toBeUndefined();
    for (const allowlist of [[{ 0: other }], [{ 0: pcr0, 4: other }], [{ 0: pcr0, 1: pcr2 }], []]) {
      const refused = await verify(allowlist);
      expect(refused?.reason).toBe("pcr-not-allowed");
      expect(refused?.message).toMatch(/pcr/);
    }
    expect(() => new NitroAttestationVerifier({ allowedPcrs: [{}] })).toThrow(RangeError);
    expect(() => new NitroAttestationVerifier({ allowedPcrs: [{ 0: "00" }] })).toThrow(RangeError);
  });

  it("binds the trainer whose key is its public_key, and no other", async () => {
    const verifier = new NitroAttestationVerifier(WINDOW);
    expect(await rejection(verifier.verify(vector, AT, { signer: VECTOR_SIGNER }))).toBeUndefined();
    const other = await rejection(verifier.verify(vector, AT, { signer: `0x${"12".repeat(20)}` as Address }));
    expect(other?.reason).toBe("public-key-mismatch");
    expect(other?.message).toMatch(/public_key belongs to 0x3c32/);
  });

  it("pins the AWS root by default and refuses the real chain under any other pin", async () => {
    const otherPin = "00".repeat(32);
    const refused = await rejection(
      new NitroAttestationVerifier({ ...WINDOW, rootFingerprint: otherPin }).verify(vector, AT),
    );
    expect(refused?.reason).toBe("root-not-pinned");
    expect(refused?.message).toMatch(/root not pinned/);
    const colons = AWS_ROOT.match(/../g)?.join(":") as string;
    expect(
      await rejection(new NitroAttestationVerifier({ ...WINDOW, rootFingerprint: colons }).verify(vector, AT)),
    ).toBeUndefined();
  });
});
