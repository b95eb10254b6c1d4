import { createPublicKey, verify } from "node:crypto";
import { z } from "zod";
import type { AttestationClaims, AttestationVerifier } from "./attestation.js";
import { AttestationRejectedError } from "./attestation-rejected-error.js";
import { encodeSimulatedPayload, SIMULATED_FORMAT, SIMULATED_WARNING } from "./simulated-enclave.js";

const hex = z.string().regex(/^([0-9a-f]{2})*$/, "must be lower-case hex");

const SimulatedDocumentSchema = z.strictObject({
  payload: z.strictObject({
    format: z.literal(SIMULATED_FORMAT),
    kind: z.literal("simulated"),
    simulated: z.literal(true),
    warning: z.literal(SIMULATED_WARNING),
    measurement: hex,
    userData: hex,
    nonce: hex,
    issuedAt: z.number().int().nonnegative(),
    publicKey: z.string().min(1),
  }),
  signature: z.string().min(1),
});

/**
 * Verifies documents from `SimulatedEnclave`: the signature must verify under the key the document carries. That
 * proves integrity only, never that a TEE exists: claims come back with `simulated: true`.
 */
export class SimulatedAttestationVerifier implements AttestationVerifier {
  readonly kind = "simulated" as const;

  async verify(document: Uint8Array): Promise<AttestationClaims> {
    let parsed: z.infer<typeof SimulatedDocumentSchema>;
    try {
      parsed = SimulatedDocumentSchema.parse(JSON.parse(Buffer.from(document).toString("utf8")));
    } catch (cause) {
      throw new AttestationRejectedError("malformed", "not a simulated attestation document", {
        cause: cause instanceof Error ? cause.message : String(cause),
      });
    }
    const { payload, signature } = parsed;
    let valid = false;
    try {
      const key = createPublicKey({ key: Buffer.from(payload.publicKey, "base64"), format: "der", type: "spki" });
      valid = verify("sha256", encodeSimulatedPayload(payload), key, Buffer.from(signature, "base64"));
    } catch {
      valid = false;
    }
    if (!valid) throw new AttestationRejectedError("bad-signature", "the simulator's signature does not verify");
    return {
      kind: "simulated",
      simulated: true,
      measurement: payload.measurement,
      userData: Buffer.from(payload.userData, "hex"),
      nonce: Buffer.from(payload.nonce, "hex"),
      issuedAt: payload.issuedAt,
    };
  }
}
