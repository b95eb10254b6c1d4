import type { Address, Bytes32, JobId } from "@tributary/protocol";
import { solidityPackedSha256 } from "ethers";
import { beforeAll, describe, expect, it } from "vitest";
import {
  makeTestChain,
  nitroVectorPayload,
  pcrOf,
  readNitroVector,
  signNitroDocument,
  type TestChain,
  withChain,
} from "../../test-support/nitro-test-documents.js";
import { rejection } from "../../test-support/rejection.js";
import { checkAttestation } from "../attestation-policy.js";
import { NitroAttestationVerifier } from "./nitro-attestation-verifier.js";

// Documents made here with a P-384 chain of our own: correctly signed, so only the root (or, with that root pinned
// explicitly, the policy) can refuse them.
const AT = 1_732_990_000_000;
const VALIDITY = { notBefore: new Date(AT - 86_400_000), notAfter: new Date(AT + 86_400_000) };
const signer = "0x70997970c51812dc3a010c7d01b50e0d17dc79c8" as Address;
const jobId = "12" as JobId;
const nonce = `0x${"5a".repeat(32)}` as Bytes32;
/** The Tributary binding, computed by an independent packed encoding (as `attestationUserData` documents it). */
const userData = Buffer.from(
  solidityPackedSha256(
    ["string", "address", "uint256", "bytes32"],
    ["tributary-attestation-v1", signer, BigInt(jobId), nonce],
  ).slice(2),
  "hex",
);

let chain: TestChain;
let imposter: TestChain;
beforeAll(async () => {
  chain = await makeTestChain(VALIDITY);
  // A root that copies the AWS root's name: names prove nothing, the pinned fingerprint decides.
  imposter = await makeTestChain({ ...VALIDITY, rootName: "C=US, O=Amazon, OU=AWS, CN=aws.nitro-enclaves" });
});

/** The real vector's payload under the test chain, with `changes` applied, issued one minute before `AT`. */
function payload(changes: Record<string, unknown> = {}, under = chain): Map<string, unknown> {
  const fields = withChain(nitroVectorPayload(), under);
  fields.set("timestamp", AT - 60_000);
  for (const [key, value] of Object.entries(changes)) fields.set(key, value);
  return fields;
}

function pcrs(value: (index: number) => Uint8Array): Map<number, Uint8Array> {
  return new Map([...Array(16).keys()].map((index) => [index, value(index)]));
}

const pinned = (options: ConstructorParameters<typeof NitroAttestationVerifier>[0] = {}) =>
  new NitroAttestationVerifier({ rootFingerprint: chain.rootFingerprint, ...options });

describe("Nitro documents signed under a root that is not AWS's", () => {
  it("are refused by the default verifier although every signature in them is valid: root not pinned", async () => {
    for (const under of [chain, imposter]) {
      const document = await signNitroDocument(payload({}, under), under.leafKey);
      const refused = await rejection(new NitroAttestationVerifier().verify(document, AT));
      expect(refused?.reason).toBe("root-not-pinned");
      expect(refused?.message).toMatch(/root not pinned/);
    }
    // The control: with its own root pinned the same document verifies, so the pin alone refused it.
    const document = await signNitroDocument(payload(), chain.leafKey);
    expect(await rejection(pinned().verify(document, AT))).toBeUndefined();
  });

  it("are refused when the AWS root heads a chain it did not sign: certificate chain", async () => {
    const awsRoot = (nitroVectorPayload().get("cabundle") as Uint8Array[])[0] as Uint8Array;
    const fields = payload({ cabundle: [awsRoot, chain.certificates[1]] });
    const refused = await rejection(
      new NitroAttestationVerifier().verify(await signNitroDocument(fields, chain.leafKey), AT),
    );
    expect(refused?.reason).toBe("certificate-chain");
    expect(refused?.message).toMatch(/certificate chain/);
  });

  it("are refused when a link is missing from the chain", async () => {
    const fields = payload({ cabundle: [chain.certificates[0]] });
    const refused = await rejection(pinned().verify(await signNitroDocument(fields, chain.leafKey), AT));
    expect(refused?.reason).toBe("certificate-chain");
  });

  it("are refused when signed by a key other than the leaf certificate's", async () => {
    const refused = await rejection(pinned().verify(await signNitroDocument(payload(), imposter.leafKey), AT));
    expect(refused?.reason).toBe("bad-signature");
  });
});

describe("the Nitro policy behind a pinned root", () => {
  it("refuses all-zero PCRs (a debug enclave), even with its root pinned", async () => {
    const zero = await signNitroDocument(payload({ pcrs: pcrs(() => pcrOf(0)) }), chain.leafKey);
    const refused = await rejection(pinned().verify(zero, AT));
    expect(refused?.reason).toBe("debug-enclave");
    expect(refused?.message).toMatch(/pcr/i);
    // An allowlist that names the zero PCRs does not make a debug enclave acceptable.
    const allowZero = pinned({ allowedPcrs: [{ 0: "00".repeat(48) }] });
    expect((await rejection(allowZero.verify(zero, AT)))?.reason).toBe("debug-enclave");
    // One zeroed image PCR is enough.
    const zeroPcr2 = pcrs((index) => pcrOf(index === 2 ? 0 : 7));
    const partly = await signNitroDocument(payload({ pcrs: zeroPcr2 }), chain.leafKey);
    expect((await rejection(pinned().verify(partly, AT)))?.reason).toBe("debug-enclave");
  });

  it("refuses a document dated in the future beyond the clock skew", async () => {
    const future = await signNitroDocument(payload({ timestamp: AT + 120_000 }), chain.leafKey);
    expect((await rejection(pinned().verify(future, AT)))?.reason).toBe("from-the-future");
    expect(await rejection(pinned({ clockSkewMs: 120_000 }).verify(future, AT))).toBeUndefined();
  });

  it("matches the nonce and the user data of a trainer's join to its key, job and challenge", async () => {
    const joined = await signNitroDocument(
      payload({ public_key: null, user_data: userData, nonce: Buffer.from(nonce.slice(2), "hex") }),
      chain.leafKey,
    );
    const verifier = pinned({ requireNonce: true });
    const expected = { signer, jobId, coordinatorNonce: nonce };
    expect(await rejection(verifier.verify(joined, AT, expected))).toBeUndefined();
    const otherNonce = await rejection(
      verifier.verify(joined, AT, { ...expected, coordinatorNonce: `0x${"5b".repeat(32)}` as Bytes32 }),
    );
    expect(otherNonce?.reason).toBe("nonce-mismatch");
    expect(otherNonce?.message).toMatch(/nonce/);
    expect((await rejection(verifier.verify(joined, AT, { ...expected, jobId: "13" as JobId })))?.reason).toBe(
      "user-data-mismatch",
    );
    const otherKey = { ...expected, signer: `0x${"12".repeat(20)}` as Address };
    expect((await rejection(verifier.verify(joined, AT, otherKey)))?.reason).toBe("user-data-mismatch");
    expect((await rejection(verifier.verify(joined, AT, { signer })))?.reason).toBe("nonce-mismatch");
  });

  it("refuses a document that names no key at all", async () => {
    const unbound = await signNitroDocument(payload({ public_key: null }), chain.leafKey);
    expect((await rejection(pinned().verify(unbound, AT, { signer })))?.reason).toBe("key-not-bound");
  });

  it("refuses a public_key that is not a secp256k1 point", async () => {
    const offCurve = Uint8Array.from([0x04, ...new Uint8Array(64).fill(0x11)]);
    const document = await signNitroDocument(payload({ public_key: offCurve }), chain.leafKey);
    expect((await rejection(pinned().verify(document, AT, { signer })))?.reason).toBe("public-key-mismatch");
  });

  it("refuses fields outside AWS's specification", async () => {
    const cases: Record<string, unknown>[] = [
      { digest: "SHA256" },
      { pcrs: pcrs(() => new Uint8Array(32).fill(1)) },
      { user_data: new Uint8Array(513) },
      { extra: "field" },
      { module_id: "" },
    ];
    for (const changes of cases) {
      const document = await signNitroDocument(payload(changes), chain.leafKey);
      expect((await rejection(pinned().verify(document, AT)))?.reason, JSON.stringify(Object.keys(changes))).toBe(
        "malformed",
      );
    }
  });

  it("fits checkAttestation: a production coordinator admits the join with the allowlisted PCR0, and only that", async () => {
    const pcr0 = "c0".repeat(48);
    const fields = payload({
      pcrs: pcrs((index) => pcrOf(index === 0 ? 0xc0 : index + 1)),
      public_key: null,
      user_data: userData,
      nonce: Buffer.from(nonce.slice(2), "hex"),
    });
    const document = await signNitroDocument(fields, chain.leafKey);
    const check = {
      kind: "nitro" as const,
      document,
      expectedUserData: userData,
      expectedNonce: Buffer.from(nonce.slice(2), "hex"),
      now: AT,
    };
    const policy = { mode: "production" as const, allowedMeasurements: { nitro: [pcr0] }, maxAgeMs: 300_000 };
    const claims = await checkAttestation(check, policy, [pinned({ requireNonce: true })]);
    expect(claims.measurement).toBe(pcr0);
    expect(claims.simulated).toBe(false);
    const refused = await rejection(
      checkAttestation(check, { ...policy, allowedMeasurements: { nitro: ["c1".repeat(48)] } }, [pinned()]),
    );
    expect(refused?.reason).toBe("measurement-not-allowed");
    // The real AWS vector answers no challenge, so the join flow refuses it whatever its PCRs.
    const window = 3 * 3_600_000;
    const real = await rejection(
      checkAttestation({ ...check, document: readNitroVector() }, { ...policy, maxAgeMs: window }, [
        new NitroAttestationVerifier({ maxAgeMs: window }),
      ]),
    );
    expect(real?.reason).toBe("nonce-mismatch");
  });
});
