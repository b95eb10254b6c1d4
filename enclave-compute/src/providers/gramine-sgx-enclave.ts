import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import type { AttestationDocument, Enclave } from "../attestation.js";
import { EnclaveUnavailableError } from "./enclave-unavailable-error.js";
import { dcapReportData } from "./report-data.js";

/** Where Gramine mounts its attestation pseudo-filesystem inside an SGX enclave. */
export const GRAMINE_ATTESTATION_DIR = "/dev/attestation";

async function readText(file: string): Promise<string | undefined> {
  try {
    return (await readFile(file, "utf8")).trim();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}

/**
 * An SGX enclave run by Gramine (`gramine-sgx` with `sgx.remote_attestation = "dcap"` in the manifest), attesting
 * through Gramine's `/dev/attestation` interface: the 64 report-data bytes (`dcapReportData`: user data then the
 * coordinator's nonce) are written to `user_report_data`, then `quote` is read, a DCAP quote v3 that the quoting
 * enclave signed (Gramine talks to the platform's AESM/QE). `DcapAttestationVerifier` checks it with collateral.
 *
 * Not runnable on these machines (no SGX); `open` says exactly why it cannot start where that is so. The build of
 * the enclave image is in docs/enclave-images.md.
 */
export class GramineSgxEnclave implements Enclave {
  readonly kind = "sgx" as const;
  readonly simulated = false;

  private constructor(private readonly dir: string) {}

  /**
   * Checks that this process runs inside Gramine with DCAP attestation (`attestation_type` reads `dcap`); `dir`
   * is `/dev/attestation` unless a test or an unusual mount says otherwise.
   */
  static async open(dir: string = GRAMINE_ATTESTATION_DIR): Promise<GramineSgxEnclave> {
    const typeFile = path.join(dir, "attestation_type");
    const type = await readText(typeFile);
    if (type === undefined) {
      throw new EnclaveUnavailableError(
        "sgx",
        `${typeFile} does not exist: this process is not running inside a Gramine SGX enclave (start it with gramine-sgx and a manifest with sgx.remote_attestation = "dcap"; see docs/enclave-images.md)`,
        { path: typeFile },
      );
    }
    if (type !== "dcap") {
      throw new EnclaveUnavailableError(
        "sgx",
        `Gramine reports attestation type "${type}" in ${typeFile}: Tributary needs DCAP quotes (set sgx.remote_attestation = "dcap" in the manifest)`,
        { path: typeFile, attestationType: type },
      );
    }
    return new GramineSgxEnclave(dir);
  }

  async attest(userData: Uint8Array, nonce: Uint8Array): Promise<AttestationDocument> {
    await writeFile(path.join(this.dir, "user_report_data"), dcapReportData(userData, nonce));
    const quote = await readFile(path.join(this.dir, "quote"));
    if (quote.length === 0) {
      throw new EnclaveUnavailableError("sgx", `Gramine returned an empty quote from ${path.join(this.dir, "quote")}`);
    }
    return { kind: "sgx", bytes: new Uint8Array(quote) };
  }
}
