import type { Address, Bytes32, JobId } from "@tributary/protocol";
import { computeAddress, Wallet } from "ethers";
import { describe, expect, it } from "vitest";
import { readDcapVector } from "../test-support/dcap-vectors.js";
import { readNitroVector } from "../test-support/nitro-test-documents.js";
import { rejection } from "../test-support/rejection.js";
import type { AttestationPolicy } from "./attestation-policy.js";
import { DcapAttestationVerifier } from "./dcap/dcap-verifier.js";
import { NitroAttestationVerifier } from "./nitro/nitro-attestation-verifier.js";
import { SIMULATED_MEASUREMENT, SimulatedEnclave } from "./simulated-enclave.js";
import { SimulatedAttestationVerifier } from "./simulated-verifier.js";
import { checkTrainerAttestation } from "./trainer-attestation.js";
import { attestationUserData } from "./user-data.js";

// The real AWS document (test/vectors/nitro/README.md): valid as of unix 1732990000, issued 1 h 44 min before.
const AT = 1_732_990_000_000;
const THREE_HOURS = 3 * 3_600_000;
const vector = readNitroVector();

/** Read by hand from the document's bytes: after the text key "public_key" comes bstr(65) = 0x58 0x41 + the key. */
function publicKeyByHand(bytes: Uint8Array): string {
  const buffer = Buffer.from(bytes);
  const at = buffer.indexOf(Buffer.from("jpublic_key", "latin1")) + 11;
  expect([buffer[at], buffer[at + 1]]).toEqual([0x58, 0x41]);
  return `0x${buffer.subarray(at + 2, at + 2 + 65).toString("hex")}`;
}

/** PCR0 by hand: the first entry of the "pcrs" map is `0, bstr(48)`. */
function pcr0ByHand(bytes: Uint8Array): string {
  const buffer = Buffer.from(bytes);
  const at = buffer.indexOf(Buffer.from("dpcrs", "latin1")) + 5 + 1;
  expect([buffer[at], buffer[at + 1], buffer[at + 2]]).toEqual([0, 0x58, 0x30]);
  return buffer.subarray(at + 3, at + 51).toString("hex");
}

const attested = computeAddress(publicKeyByHand(vector)).toLowerCase() as Address;
const jobId = "7" as JobId;
const coordinatorNonce = `0x${"42".repeat(32)}` as Bytes32;
const production: AttestationPolicy = {
  mode: "production",
  allowedMeasurements: { nitro: [pcr0ByHand(vector)] },
  maxAgeMs: THREE_HOURS,
};
const verifiers = [new NitroAttestationVerifier({ maxAgeMs: THREE_HOURS })];
const nitro = { kind: "nitro" as const, document: vector, jobId, coordinatorNonce, now: AT };

describe("checkTrainerAttestation with the real AWS Nitro document", () => {
  it("admits the trainer whose address is the document's public_key, at the document's time", async () => {
    const claims = await checkTrainerAttestation({ ...nitro, signer: attested }, production, verifiers);
    expect(claims).toMatchObject({ kind: "nitro", simulated: false, measurement: pcr0ByHand(vector) });
  });

  it("refuses any other trainer key (public-key-mismatch)", async () => {
    const other = Wallet.createRandom().address.toLowerCase() as Address;
    const refused = await rejection(checkTrainerAttestation({ ...nitro, signer: other }, production, verifiers));
    expect(refused?.reason).toBe("public-key-mismatch");
    expect(refused?.message).toContain(other);
  });

  it("refuses it when PCR0 is not allowlisted, when older than the policy allows, and today", async () => {
    const unlisted = { ...production, allowedMeasurements: { nitro: ["ab".repeat(48)] } };
    const check = { ...nitro, signer: attested };
    expect((await rejection(checkTrainerAttestation(check, unlisted, verifiers)))?.reason).toBe(
      "measurement-not-allowed",
    );
    const fiveMinutes = { ...production, maxAgeMs: 300_000 };
    expect((await rejection(checkTrainerAttestation(check, fiveMinutes, verifiers)))?.reason).toBe("stale");
    const today = await rejection(checkTrainerAttestation({ ...check, now: Date.now() }, production, verifiers));
    expect(today?.reason).toBe("expired");
  });

  it("refuses a kind no verifier is configured for", async () => {
    const refused = await rejection(checkTrainerAttestation({ ...nitro, signer: attested }, production, []));
    expect(refused?.reason).toBe("unknown-kind");
  });
});

describe("checkTrainerAttestation for the other kinds", () => {
  it("refuses the simulator in production, and admits it in development only", async () => {
    const enclave = new SimulatedEnclave({ warn: () => {}, now: () => AT });
    const signer = Wallet.createRandom().address.toLowerCase() as Address;
    const document = await enclave.attest(
      attestationUserData({ signer, jobId, coordinatorNonce }),
      Buffer.from(coordinatorNonce.slice(2), "hex"),
    );
    const check = { kind: "simulated" as const, document: document.bytes, signer, jobId, coordinatorNonce, now: AT };
    const simulators = [new SimulatedAttestationVerifier()];
    expect((await rejection(checkTrainerAttestation(check, production, simulators)))?.reason).toBe(
      "simulated-in-production",
    );
    const development: AttestationPolicy = {
      mode: "development",
      allowedMeasurements: { simulated: [SIMULATED_MEASUREMENT] },
      maxAgeMs: 60_000,
    };
    expect((await checkTrainerAttestation(check, development, simulators)).simulated).toBe(true);
  });

  it("binds an SGX quote by its report data: the real quote answers no challenge of ours", async () => {
    const sgx = readDcapVector("sgx");
    const verifier = new DcapAttestationVerifier({
      kind: "sgx",
      collateral: sgx.collateral,
      policy: {
        allowedStatuses: ["ConfigurationAndSWHardeningNeeded"],
        allowedAdvisoryIds: ["INTEL-SA-00289", "INTEL-SA-00615"],
      },
    });
    // Inside the collateral's validity window (2025-06-19 to 2025-07-19, test/vectors/dcap/README.md).
    const now = Date.UTC(2025, 5, 25);
    const check = { kind: "sgx" as const, document: sgx.quote, signer: attested, jobId, coordinatorNonce, now };
    expect((await rejection(checkTrainerAttestation(check, production, [verifier])))?.reason).toBe("nonce-mismatch");
  });
});
