import { readFile } from "node:fs/promises";
import path from "node:path";
import {
  type AttestationPolicy,
  AttestationRejectedError,
  type AttestationVerifier,
  DcapAttestationVerifier,
  type DcapKind,
  type DcapQuote,
  dcapQuoteFmspc,
  NitroAttestationVerifier,
  SIMULATED_MEASUREMENT,
  SimulatedAttestationVerifier,
} from "@tributary/enclave-compute";
import type { AttestationTestRoots } from "../common/tokens.js";
import type { CoordinatorConfig } from "../config/coordinator-config.js";

/**
 * The collateral of a quote from `dir`: the file `<kind>-<fmspc>.json` (dcap-qvl's QuoteCollateralV3 JSON), for
 * the platform the quote's PCK certificate names. PCCS is not reachable from every coordinator, so the operator
 * fetches the collateral (Intel's PCS or their PCCS, e.g. with dcap-qvl) and refreshes the files before their
 * `nextUpdate`; they are read at every verification. Without a directory or a file for the platform, the quote is
 * refused (`collateral-unavailable`).
 */
export function collateralFromDirectory(
  dir: string | undefined,
  kind: DcapKind,
): (quote: DcapQuote) => Promise<unknown> {
  return async (quote) => {
    if (dir === undefined) {
      throw new AttestationRejectedError(
        "collateral-unavailable",
        `collateral-format: no DCAP collateral is configured for ${kind} quotes (dcapCollateralDir, TRIBUTARY_DCAP_COLLATERAL_DIR)`,
      );
    }
    const fmspc = dcapQuoteFmspc(quote);
    const file = path.join(dir, `${kind}-${fmspc}.json`);
    let text: string;
    try {
      text = await readFile(file, "utf8");
    } catch {
      throw new AttestationRejectedError(
        "collateral-unavailable",
        `collateral-format: no collateral for ${kind} platform FMSPC ${fmspc} (${file} is missing)`,
        { fmspc },
      );
    }
    try {
      return JSON.parse(text) as unknown;
    } catch (error) {
      throw new AttestationRejectedError(
        "malformed",
        `collateral-format: ${file} is not JSON: ${(error as Error).message}`,
      );
    }
  };
}

/**
 * The coordinator's admission policy: its mode, the allowlisted measurements (the simulator's only in
 * development) and the freshness window.
 */
export function attestationPolicy(config: CoordinatorConfig): AttestationPolicy {
  return {
    mode: config.mode,
    allowedMeasurements: {
      ...config.allowedMeasurements,
      ...(config.mode === "development" ? { simulated: [SIMULATED_MEASUREMENT] } : {}),
    },
    maxAgeMs: config.attestationMaxAgeS * 1000,
  };
}

/**
 * The verifiers a coordinator admits trainers with: AWS Nitro (to the pinned AWS root), Intel SGX and TDX (to the
 * pinned Intel SGX Root CA, with the collateral of `dcapCollateralDir` and the configured TCB policy) and, in
 * development mode only, the loudly labelled simulator. `testRoots` (tests only) pins another Nitro root.
 */
export function attestationVerifiers(
  config: CoordinatorConfig,
  testRoots: AttestationTestRoots = {},
): AttestationVerifier[] {
  const dcap = (kind: DcapKind) =>
    new DcapAttestationVerifier({
      kind,
      collateral: collateralFromDirectory(config.dcapCollateralDir, kind),
      policy: config.tcbPolicy,
    });
  return [
    new NitroAttestationVerifier({
      maxAgeMs: config.attestationMaxAgeS * 1000,
      ...(testRoots.nitroRootFingerprint === undefined ? {} : { rootFingerprint: testRoots.nitroRootFingerprint }),
    }),
    dcap("sgx"),
    dcap("tdx"),
    ...(config.mode === "development" ? [new SimulatedAttestationVerifier()] : []),
  ];
}
