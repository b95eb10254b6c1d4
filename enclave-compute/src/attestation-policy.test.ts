import { randomBytes } from "node:crypto";
import type { Address, Bytes32, JobId } from "@tributary/protocol";
import { solidityPackedSha256 } from "ethers";
import { describe, expect, it } from "vitest";
import { type AttestationPolicy, checkAttestation } from "./attestation-policy.js";
import { AttestationRejectedError } from "./attestation-rejected-error.js";
import { SIMULATED_MEASUREMENT, SimulatedEnclave } from "./simulated-enclave.js";
import { SimulatedAttestationVerifier } from "./simulated-verifier.js";
import { attestationUserData } from "./user-data.js";

const T0 = 1_800_000_000_000;
const signer = "0x70997970c51812dc3a010c7d01b50e0d17dc79c8" as Address;
const jobId = "12" as JobId;
const coordinatorNonce = `0x${"5a".repeat(32)}` as Bytes32;
const userData = attestationUserData({ signer, jobId, coordinatorNonce });
const verifiers = [new SimulatedAttestationVerifier()];
const development: AttestationPolicy = {
  mode: "development",
  allowedMeasurements: { simulated: [SIMULATED_MEASUREMENT] },
  maxAgeMs: 60_000,
};

function quietEnclave(now = T0) {
  return new SimulatedEnclave({ warn: () => {}, now: () => now });
}

async function reason(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof AttestationRejectedError) return error.reason;
    throw error;
  }
  return "accepted";
}

describe("attestation user data", () => {
  it("is sha256(tag ‖ signer ‖ uint256 jobId ‖ nonce), as an independent packed encoding computes it", () => {
    const reference = solidityPackedSha256(
      ["string", "address", "uint256", "bytes32"],
      ["tributary-attestation-v1", signer, 12n, coordinatorNonce],
    );
    expect(`0x${Buffer.from(userData).toString("hex")}`).toBe(reference);
  });
});

describe("checkAttestation with the simulator", () => {
  it("accepts a fresh simulated document in development and marks its claims simulated", async () => {
    const nonce = randomBytes(32);
    const document = await quietEnclave().attest(userData, nonce);
    const claims = await checkAttestation(
      { kind: "simulated", document: document.bytes, expectedUserData: userData, expectedNonce: nonce, now: T0 + 1000 },
      development,
      verifiers,
    );
    expect(claims.simulated).toBe(true);
    expect(claims.measurement).toBe(SIMULATED_MEASUREMENT);
    expect(Buffer.from(document.bytes).toString("utf8")).toContain("SIMULATED");
  });

  it("says loudly, when created, that it is not a TEE", () => {
    const messages: string[] = [];
    new SimulatedEnclave({ warn: (message) => messages.push(message) });
    expect(messages.join("\n")).toMatch(/SIMULATED ATTESTATION: not produced by a TEE/);
  });

  it("is refused by a production coordinator, whatever the allowlist says", async () => {
    const nonce = randomBytes(32);
    const document = await quietEnclave().attest(userData, nonce);
    const check = {
      kind: "simulated" as const,
      document: document.bytes,
      expectedUserData: userData,
      expectedNonce: nonce,
      now: T0,
    };
    expect(await reason(checkAttestation(check, { ...development, mode: "production" }, verifiers))).toBe(
      "simulated-in-production",
    );
  });

  it("rejects a document with any single byte changed", async () => {
    const nonce = randomBytes(32);
    const { bytes } = await quietEnclave().attest(userData, nonce);
    const step = Math.max(1, Math.floor(bytes.length / 97));
    for (let index = 0; index < bytes.length; index += step) {
      const tampered = Uint8Array.from(bytes);
      tampered[index] = (tampered[index] ?? 0) ^ 0x01;
      const check = {
        kind: "simulated" as const,
        document: tampered,
        expectedUserData: userData,
        expectedNonce: nonce,
        now: T0,
      };
      expect(await reason(checkAttestation(check, development, verifiers)), `byte ${index}`).not.toBe("accepted");
    }
  });

  it("rejects another challenge's nonce, another key's or job's binding, stale documents and unlisted measurements", async () => {
    const nonce = randomBytes(32);
    const { bytes } = await quietEnclave().attest(userData, nonce);
    const base = {
      kind: "simulated" as const,
      document: bytes,
      expectedUserData: userData,
      expectedNonce: nonce,
      now: T0,
    };
    const otherJob = attestationUserData({ signer, jobId: "13" as JobId, coordinatorNonce });
    const otherKey = attestationUserData({ signer: `0x${"12".repeat(20)}` as Address, jobId, coordinatorNonce });
    expect(await reason(checkAttestation({ ...base, expectedNonce: randomBytes(32) }, development, verifiers))).toBe(
      "nonce-mismatch",
    );
    expect(await reason(checkAttestation({ ...base, expectedUserData: otherJob }, development, verifiers))).toBe(
      "user-data-mismatch",
    );
    expect(await reason(checkAttestation({ ...base, expectedUserData: otherKey }, development, verifiers))).toBe(
      "user-data-mismatch",
    );
    expect(await reason(checkAttestation({ ...base, now: T0 + 60_001 }, development, verifiers))).toBe("stale");
    expect(await reason(checkAttestation({ ...base, now: T0 - 3_600_000 }, development, verifiers))).toBe(
      "from-the-future",
    );
    expect(await reason(checkAttestation(base, { ...development, allowedMeasurements: {} }, verifiers))).toBe(
      "measurement-not-allowed",
    );
    expect(await reason(checkAttestation({ ...base, kind: "nitro" }, development, verifiers))).toBe("unknown-kind");
  });
});
