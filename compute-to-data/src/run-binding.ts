import { createHash } from "node:crypto";
import type { Bytes32 } from "@tributary/protocol";

const DOMAIN = Buffer.from("tributary-c2d-run-v1", "utf8");

const bytes32 = (hex: Bytes32): Buffer => Buffer.from(hex.slice(2), "hex");

/**
 * The 32 bytes a run's attestation binds as its user data: SHA-256("tributary-c2d-run-v1" ‖ algorithmHash ‖
 * paramsHash ‖ outputHash). The tag keeps it apart from a trainer's join binding (`attestationUserData`); the
 * request's EIP-712 digest is the attestation's nonce, so the document is for this request and no other.
 */
export function c2dRunBinding(run: { algorithmHash: Bytes32; paramsHash: Bytes32; outputHash: Bytes32 }): Uint8Array {
  return createHash("sha256")
    .update(DOMAIN)
    .update(bytes32(run.algorithmHash))
    .update(bytes32(run.paramsHash))
    .update(bytes32(run.outputHash))
    .digest();
}
