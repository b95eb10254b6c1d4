import { AttestationRejectedError } from "../attestation-rejected-error.js";

/**
 * One allowlisted enclave: PCR index → expected value (hex, either case). A document matches the entry when every
 * PCR the entry lists has exactly that value; PCRs the entry does not list are not constrained. AWS's own policies
 * name PCR0 (the enclave image file), PCR1 (kernel and boot ramfs), PCR2 (the application) and, as needed, PCR3
 * (the parent instance's IAM role), PCR4 (the parent instance id) and PCR8 (the image's signing certificate).
 */
export type NitroPcrAllowance = Readonly<Record<number, string>>;

/** The PCRs that measure the enclave image; all zeros in debug mode, where the enclave's memory can be read. */
const IMAGE_PCRS = [0, 1, 2] as const;

function isZero(value: Uint8Array): boolean {
  return value.every((byte) => byte === 0);
}

/**
 * The PCR policy:
 * - PCR0, PCR1 and PCR2 must be present and none of them all-zero. A Nitro enclave started with `--debug-mode`
 *   reports all-zero PCRs; its memory and console are open to the parent instance, so it proves nothing
 *   (`debug-enclave`).
 * - With an allowlist, the PCRs must match at least one of its entries (`pcr-not-allowed`); an empty allowlist
 *   admits nothing. Without one (`undefined`), only authenticity is established: an admission policy must then
 *   allowlist the measurement itself (`checkAttestation`'s `allowedMeasurements`).
 */
export function checkNitroPcrs(
  pcrs: ReadonlyMap<number, Uint8Array>,
  allowlist: readonly NitroPcrAllowance[] | undefined,
): void {
  for (const index of IMAGE_PCRS) {
    const value = pcrs.get(index);
    if (value === undefined) {
      throw new AttestationRejectedError("malformed", `the document has no PCR${index}`);
    }
    if (isZero(value)) {
      throw new AttestationRejectedError(
        "debug-enclave",
        `pcr: PCR${index} is all zeros (a debug-mode enclave, whose memory the host can read)`,
        { pcr: index },
      );
    }
  }
  if (allowlist === undefined) return;
  const hexOf = (index: number) => {
    const value = pcrs.get(index);
    return value === undefined ? undefined : Buffer.from(value).toString("hex");
  };
  const matches = (entry: NitroPcrAllowance) =>
    Object.entries(entry).every(([index, expected]) => hexOf(Number(index)) === expected.toLowerCase());
  if (!allowlist.some(matches)) {
    throw new AttestationRejectedError(
      "pcr-not-allowed",
      `pcr: the enclave's PCRs match no allowlisted enclave (PCR0 ${hexOf(0)})`,
      { pcr0: hexOf(0) },
    );
  }
}
