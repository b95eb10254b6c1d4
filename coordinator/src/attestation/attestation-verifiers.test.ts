import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { AttestationRejectedError } from "@tributary/enclave-compute";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readDcapVector } from "../../../enclave-compute/test-support/dcap-vectors.js";
import { resolveConfig } from "../config/coordinator-config.js";
import { attestationVerifiers } from "./attestation-verifiers.js";

// The real SGX quote and its collateral (test/vectors/dcap/README.md): ConfigurationAndSWHardeningNeeded with
// INTEL-SA-00289 and INTEL-SA-00615; the collateral is valid 2025-06-19 to 2025-07-19. Its platform's FMSPC,
// 00a067110000, is the `fmspc` of the collateral's TCB info (Intel serves TCB info per FMSPC).
const sgx = readDcapVector("sgx");
const FMSPC = (JSON.parse(sgx.collateral.tcb_info) as { fmspc: string }).fmspc.toLowerCase();
const AT = Date.UTC(2025, 5, 25);
const TCB = {
  allowedStatuses: ["UpToDate" as const, "ConfigurationAndSWHardeningNeeded" as const],
  allowedAdvisoryIds: ["INTEL-SA-00289", "INTEL-SA-00615"],
};

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "tributary-collateral-"));
  await writeFile(path.join(dir, `sgx-${FMSPC}.json`), JSON.stringify(sgx.collateral));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function sgxVerifier(config: Parameters<typeof resolveConfig>[0]) {
  const verifier = attestationVerifiers(resolveConfig(config)).find((candidate) => candidate.kind === "sgx");
  if (verifier === undefined) throw new Error("no sgx verifier");
  return verifier;
}

async function outcome(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return "accepted";
  } catch (error) {
    if (error instanceof AttestationRejectedError) return `${error.reason}: ${error.message}`;
    throw error;
  }
}

describe("the coordinator's verifiers", () => {
  it("verify an SGX quote with the collateral file of its platform, under the configured TCB policy", async () => {
    expect(FMSPC).toBe("00a067110000");
    const verifier = sgxVerifier({ mode: "production", dcapCollateralDir: dir, tcbPolicy: TCB });
    const claims = await verifier.verify(sgx.quote, AT);
    expect(claims).toMatchObject({ kind: "sgx", simulated: false });
    // The default TCB policy (UpToDate only) refuses the same quote.
    const strict = sgxVerifier({ mode: "production", dcapCollateralDir: dir });
    expect(await outcome(strict.verify(sgx.quote, AT))).toMatch(
      /^tcb-not-allowed: .*ConfigurationAndSWHardeningNeeded/,
    );
  });

  it("refuse a quote without collateral: none configured, or none for its platform", async () => {
    expect(await outcome(sgxVerifier({ mode: "production", tcbPolicy: TCB }).verify(sgx.quote, AT))).toMatch(
      /^collateral-unavailable: .*no DCAP collateral is configured for sgx quotes/,
    );
    const empty = await mkdtemp(path.join(tmpdir(), "tributary-collateral-"));
    try {
      const verifier = sgxVerifier({ mode: "production", dcapCollateralDir: empty, tcbPolicy: TCB });
      expect(await outcome(verifier.verify(sgx.quote, AT))).toMatch(
        new RegExp(`^collateral-unavailable: .*FMSPC ${FMSPC} \\(.*sgx-${FMSPC}\\.json is missing\\)`),
      );
    } finally {
      await rm(empty, { recursive: true, force: true });
    }
  });

  it("include the simulator in development mode only", () => {
    const kinds = (mode: "development" | "production") =>
      attestationVerifiers(resolveConfig({ mode })).map((verifier) => verifier.kind);
    expect(kinds("production")).toEqual(["nitro", "sgx", "tdx"]);
    expect(kinds("development")).toEqual(["nitro", "sgx", "tdx", "simulated"]);
  });
});
