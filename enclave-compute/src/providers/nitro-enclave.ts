import { execFile } from "node:child_process";
import { access, constants } from "node:fs/promises";
import type { AttestationDocument, Enclave } from "../attestation.js";
import { EnclaveUnavailableError } from "./enclave-unavailable-error.js";

/** The Nitro Secure Module's device inside an enclave. */
export const NSM_DEVICE = "/dev/nsm";

/** A Nitro document is at most a few KiB; anything past this is not one. */
const MAX_DOCUMENT_BYTES = 64 * 1024;

export interface NitroEnclaveOptions {
  /**
   * The helper that asks the NSM for a document (an ioctl Node cannot make): run as `helper --user-data HEX
   * --nonce HEX`, it writes the COSE_Sign1 attestation document to stdout, exit 0. docs/enclave-images.md has its
   * contract and how it is built into the enclave image.
   */
  readonly helper: string;
  /** The NSM device to check for; `/dev/nsm` unless a test says otherwise. */
  readonly device?: string;
  /** How long the helper may take, in milliseconds. */
  readonly timeoutMs?: number;
}

/**
 * An AWS Nitro enclave attesting through its Nitro Secure Module: a configured helper asks the NSM for an
 * attestation document binding the 32 user-data bytes (`user_data`) and the coordinator's nonce (`nonce`), which
 * `NitroAttestationVerifier` checks against the pinned AWS root.
 *
 * Not runnable on these machines (no Nitro enclave); `open` says exactly why it cannot start where that is so.
 */
export class NitroEnclave implements Enclave {
  readonly kind = "nitro" as const;
  readonly simulated = false;

  private constructor(private readonly options: NitroEnclaveOptions) {}

  /** Checks that the NSM device exists and that the helper can be run. */
  static async open(options: NitroEnclaveOptions): Promise<NitroEnclave> {
    const device = options.device ?? NSM_DEVICE;
    try {
      await access(device, constants.R_OK | constants.W_OK);
    } catch (error) {
      throw new EnclaveUnavailableError(
        "nitro",
        `${device} cannot be opened (${(error as NodeJS.ErrnoException).code ?? String(error)}): this process is not running inside an AWS Nitro enclave (build the enclave image and run it with nitro-cli run-enclave; see docs/enclave-images.md)`,
        { device },
      );
    }
    try {
      await access(options.helper, constants.X_OK);
    } catch (error) {
      throw new EnclaveUnavailableError(
        "nitro",
        `the NSM helper ${options.helper} cannot be run (${(error as NodeJS.ErrnoException).code ?? String(error)}): build it into the enclave image (docs/enclave-images.md) and give its path`,
        { helper: options.helper },
      );
    }
    return new NitroEnclave(options);
  }

  attest(userData: Uint8Array, nonce: Uint8Array): Promise<AttestationDocument> {
    if (userData.length !== 32) throw new RangeError(`userData must be 32 bytes, got ${userData.length}`);
    const args = ["--user-data", Buffer.from(userData).toString("hex"), "--nonce", Buffer.from(nonce).toString("hex")];
    return new Promise((resolve, reject) => {
      execFile(
        this.options.helper,
        args,
        { encoding: "buffer", maxBuffer: MAX_DOCUMENT_BYTES, timeout: this.options.timeoutMs ?? 10_000 },
        (error, stdout, stderr) => {
          if (error !== null) {
            const said = stderr.toString("utf8").trim();
            reject(
              new EnclaveUnavailableError(
                "nitro",
                `the NSM helper ${this.options.helper} failed (${error.message.split("\n")[0]})${said === "" ? "" : `: ${said}`}`,
              ),
            );
            return;
          }
          if (stdout.length === 0) {
            reject(new EnclaveUnavailableError("nitro", `the NSM helper ${this.options.helper} wrote no document`));
            return;
          }
          resolve({ kind: "nitro", bytes: new Uint8Array(stdout) });
        },
      );
    });
  }
}
