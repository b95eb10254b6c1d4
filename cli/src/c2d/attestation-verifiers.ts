import { readFile } from "node:fs/promises";
import {
  type AttestationVerifier,
  DcapAttestationVerifier,
  NitroAttestationVerifier,
  parseDcapCollateral,
  SimulatedAttestationVerifier,
} from "@tributary/enclave-compute";
import { TributaryError } from "@tributary/protocol";

/**
 * The verifiers a researcher checks a run's attestation with: Nitro documents against the pinned AWS root (a nonce
 * required: the request's digest), SGX and TDX quotes against the pinned Intel root with the collateral in
 * `collateral` (dcap-qvl's JSON; without it no SGX/TDX run is accepted), and the simulator's, which the client uses
 * only when the researcher allows simulated attestations.
 */
export async function researcherVerifiers(collateral: string | undefined): Promise<AttestationVerifier[]> {
  const verifiers: AttestationVerifier[] = [
    new NitroAttestationVerifier({ requireNonce: true }),
    new SimulatedAttestationVerifier(),
  ];
  if (collateral !== undefined) {
    let parsed: ReturnType<typeof parseDcapCollateral>;
    try {
      parsed = parseDcapCollateral(JSON.parse(await readFile(collateral, "utf8")));
    } catch (error) {
      throw new TributaryError("INVALID_INPUT", `--collateral ${collateral}: ${(error as Error).message}`, {
        cause: error,
      });
    }
    verifiers.push(
      new DcapAttestationVerifier({ kind: "sgx", collateral: parsed }),
      new DcapAttestationVerifier({ kind: "tdx", collateral: parsed }),
    );
  }
  return verifiers;
}
