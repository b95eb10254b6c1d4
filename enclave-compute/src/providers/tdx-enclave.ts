import { randomBytes } from "node:crypto";
import { mkdir, readFile, rmdir, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import type { AttestationDocument, Enclave } from "../attestation.js";
import { EnclaveUnavailableError } from "./enclave-unavailable-error.js";
import { dcapReportData } from "./report-data.js";

/** Linux's configfs-tsm report directory (kernel ≥ 6.7), the vendor-neutral interface to a TD's quote. */
export const TSM_REPORT_DIR = "/sys/kernel/config/tsm/report";

/** The `provider` a TDX guest's kernel reports; any other (e.g. `sev_guest`) makes quotes we cannot verify. */
const TDX_PROVIDER = "tdx_guest";

/** Creates a report entry (configfs makes its attribute files); refusals say what to do. */
async function createEntry(reportDir: string, name: string): Promise<string> {
  const entry = path.join(reportDir, name);
  try {
    await mkdir(entry, { recursive: true });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new EnclaveUnavailableError(
      "tdx",
      `cannot create a report entry in ${reportDir} (${code ?? String(error)}): run as a user allowed to write configfs-tsm`,
      { path: reportDir, code },
    );
  }
  return entry;
}

/**
 * A TDX trust domain attesting through Linux's configfs-tsm interface: a report entry is created under
 * `/sys/kernel/config/tsm/report`, the 64 report-data bytes (`dcapReportData`) are written to its `inblob`, and
 * `outblob` is read: a TDX quote v4 from the platform's quoting enclave. The entry's `generation` is read before
 * and after so that a concurrent writer to the same entry is detected, as the kernel's ABI document asks. The
 * entry is removed afterwards. `DcapAttestationVerifier` checks the quote with collateral.
 *
 * Not runnable on these machines (no TDX); `open` says exactly why it cannot start where that is so.
 */
export class TdxEnclave implements Enclave {
  readonly kind = "tdx" as const;
  readonly simulated = false;

  private constructor(
    private readonly reportDir: string,
    private readonly entryName: () => string,
  ) {}

  /** Checks that configfs-tsm is mounted and that the kernel's TSM provider is a TDX guest's. */
  static async open(
    reportDir: string = TSM_REPORT_DIR,
    entryName: () => string = () => `tributary-${randomBytes(8).toString("hex")}`,
  ): Promise<TdxEnclave> {
    try {
      await stat(reportDir);
    } catch {
      throw new EnclaveUnavailableError(
        "tdx",
        `${reportDir} does not exist: this is not a TDX guest with configfs-tsm (Linux ≥ 6.7 with the tdx_guest driver; mount configfs at /sys/kernel/config)`,
        { path: reportDir },
      );
    }
    const probe = await createEntry(reportDir, entryName());
    try {
      const provider = await readFile(path.join(probe, "provider"), "utf8").then(
        (text) => text.trim(),
        () => {
          throw new EnclaveUnavailableError(
            "tdx",
            `${probe} has no provider attribute: ${reportDir} is not a configfs-tsm report directory`,
          );
        },
      );
      if (provider !== TDX_PROVIDER) {
        throw new EnclaveUnavailableError(
          "tdx",
          `the kernel's TSM provider is "${provider}", not "${TDX_PROVIDER}": this confidential VM is not a TDX trust domain`,
          { provider },
        );
      }
    } finally {
      await rmdir(probe).catch(() => {});
    }
    return new TdxEnclave(reportDir, entryName);
  }

  async attest(userData: Uint8Array, nonce: Uint8Array): Promise<AttestationDocument> {
    const entry = await createEntry(this.reportDir, this.entryName());
    try {
      await writeFile(path.join(entry, "inblob"), dcapReportData(userData, nonce));
      const before = await readFile(path.join(entry, "generation"), "utf8");
      const quote = await readFile(path.join(entry, "outblob"));
      const after = await readFile(path.join(entry, "generation"), "utf8");
      if (before.trim() !== after.trim()) {
        throw new EnclaveUnavailableError(
          "tdx",
          `report entry ${entry} was written by someone else while its quote was read`,
        );
      }
      if (quote.length === 0)
        throw new EnclaveUnavailableError("tdx", `the kernel returned an empty quote from ${entry}`);
      return { kind: "tdx", bytes: new Uint8Array(quote) };
    } finally {
      await rmdir(entry).catch(() => {});
    }
  }
}
