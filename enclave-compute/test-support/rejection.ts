import { AttestationRejectedError } from "../src/attestation-rejected-error.js";

/** The refusal an attestation check ended with, or `undefined` when it accepted. Other errors propagate. */
export async function rejection(
  check: Promise<unknown> | (() => unknown),
): Promise<AttestationRejectedError | undefined> {
  try {
    await (typeof check === "function" ? check() : check);
  } catch (error) {
    if (error instanceof AttestationRejectedError) return error;
    throw error;
  }
  return undefined;
}
