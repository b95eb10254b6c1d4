import { createHash } from "node:crypto";
import type { Address, Bytes32, JobId } from "@tributary/protocol";

const DOMAIN = Buffer.from("tributary-attestation-v1", "utf8");

/**
 * The 32 bytes a trainer's enclave binds into its attestation: SHA-256 over a domain tag, the trainer's signing
 * address (20 bytes), the job id (uint256, big-endian) and the coordinator's nonce. A document made for another
 * key, job or login attempt therefore never matches.
 */
export function attestationUserData(binding: { signer: Address; jobId: JobId; coordinatorNonce: Bytes32 }): Uint8Array {
  const job = Buffer.from(BigInt(binding.jobId).toString(16).padStart(64, "0"), "hex");
  return createHash("sha256")
    .update(DOMAIN)
    .update(Buffer.from(binding.signer.slice(2), "hex"))
    .update(job)
    .update(Buffer.from(binding.coordinatorNonce.slice(2), "hex"))
    .digest();
}
