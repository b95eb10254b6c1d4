import { readFile } from "node:fs/promises";
import { ALLOWABLE_TCB_STATUSES, type NitroPcrAllowance } from "@tributary/enclave-compute";
import { AddressSchema, type InputIssue, InvalidInputError, parseInput } from "@tributary/protocol";
import type { Command } from "commander";
import { z } from "zod";
import { type AttestationVerdict, verifyAttestation } from "../attest/verify-attestation.js";
import { toJsonLine } from "../chain/output.js";
import { runCommand } from "../chain/run-command.js";
import { EXIT, exitWithUsageCode } from "./exit-codes.js";

/** TCB statuses an operator may allow besides `UpToDate` (`Revoked` never). */
const EXTRA_TCB_STATUSES = ALLOWABLE_TCB_STATUSES.filter((status) => status !== "UpToDate");

/** `--pcr 0=HEX[,1=HEX…]`: one allowlisted enclave, each PCR it names as SHA-384 hex. */
const PcrAllowanceSchema = z
  .string()
  .regex(
    /^([0-9]|[12][0-9]|3[01])=[0-9a-fA-F]{96}(,([0-9]|[12][0-9]|3[01])=[0-9a-fA-F]{96})*$/,
    "must be INDEX=HEX[,INDEX=HEX…] with PCR indices 0–31 and 48 bytes (96 hex digits) each",
  )
  .transform(
    (text): NitroPcrAllowance =>
      Object.fromEntries(text.split(",").map((pair) => [Number(pair.split("=")[0]), pair.split("=")[1] as string])),
  );

const AttestVerifyOptionsSchema = z.strictObject({
  kind: z.enum(["nitro", "sgx", "tdx"], { message: "must be nitro, sgx or tdx" }),
  file: z.string().min(1),
  collateral: z.string().min(1).optional(),
  at: z
    .string()
    .regex(/^[0-9]{1,12}$/, "must be a time in whole Unix seconds, e.g. 1732990000")
    .transform(Number)
    .optional(),
  maxAgeS: z
    .string()
    .regex(/^[1-9][0-9]{0,11}$/, "must be a positive number of seconds")
    .transform(Number)
    .optional(),
  pcr: z.array(PcrAllowanceSchema).optional(),
  signer: AddressSchema.optional(),
  allowTcbStatus: z
    .array(z.enum(EXTRA_TCB_STATUSES, { message: `must be one of ${EXTRA_TCB_STATUSES.join(", ")}` }))
    .optional(),
  allowAdvisory: z
    .array(z.string().regex(/^[A-Z]+-[A-Z]+-[0-9]+$/, "must be an advisory id, e.g. INTEL-SA-00615"))
    .optional(),
  json: z.boolean().default(false),
});
type AttestVerifyOptions = z.infer<typeof AttestVerifyOptionsSchema>;

function usage(issues: InputIssue[]): never {
  throw new InvalidInputError("attest verify options", issues);
}

/** Flags that only make sense for one family of documents, and the collateral DCAP needs. */
function checkFlagsFit(options: AttestVerifyOptions): void {
  const issues: InputIssue[] = [];
  const at = (flag: string, message: string) => issues.push({ path: `attest verify options.${flag}`, message });
  if (options.kind === "nitro") {
    if (options.collateral !== undefined) at("collateral", "a Nitro document needs no collateral (sgx and tdx only)");
    if (options.allowTcbStatus !== undefined || options.allowAdvisory !== undefined) {
      at("allowTcbStatus", "--allow-tcb-status and --allow-advisory apply to sgx and tdx quotes only");
    }
  } else {
    if (options.collateral === undefined) {
      at(
        "collateral",
        `the ${options.kind} quote is verified with its collateral: pass --collateral FILE (dcap-qvl's QuoteCollateralV3 JSON)`,
      );
    }
    if (options.maxAgeS !== undefined || options.pcr !== undefined || options.signer !== undefined) {
      at("maxAgeS", "--max-age-s, --pcr and --signer apply to Nitro documents only");
    }
  }
  if (issues.length > 0) usage(issues);
}

async function readInput(path: string, flag: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (error) {
    return usage([
      { path: `attest verify options.${flag}`, message: `cannot read ${path}: ${(error as Error).message}` },
    ]);
  }
}

async function readCollateral(path: string): Promise<unknown> {
  const text = (await readInput(path, "collateral")).toString("utf8");
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    return usage([
      { path: "attest verify options.collateral", message: `${path} is not JSON: ${(error as Error).message}` },
    ]);
  }
}

/** The human lines of a verdict (the JSON line follows them). */
function describe(verdict: AttestationVerdict): string[] {
  const when = new Date(verdict.at * 1000).toISOString();
  if (!verdict.valid) {
    return [
      `INVALID ${verdict.kind} attestation as of ${when}: ${verdict.check} failed (${verdict.reason})`,
      `  ${verdict.message}`,
    ];
  }
  const rows: [string, string][] = [["measurement", verdict.measurement]];
  if (verdict.moduleId !== undefined) rows.push(["module", verdict.moduleId]);
  if (verdict.issuedAt !== undefined) rows.push(["issued", new Date(verdict.issuedAt * 1000).toISOString()]);
  if (verdict.signer !== undefined) rows.push(["public_key address", verdict.signer]);
  if (verdict.tcbStatus !== undefined) {
    rows.push(["TCB status", `${verdict.tcbStatus} (advisories: ${verdict.advisoryIds?.join(", ") || "none"})`]);
  }
  if (verdict.fmspc !== undefined) rows.push(["FMSPC", verdict.fmspc]);
  const root = verdict.kind === "nitro" ? "the pinned AWS Nitro root" : "the pinned Intel SGX Root CA";
  const width = Math.max(...rows.map(([name]) => name.length));
  return [
    `valid ${verdict.kind} attestation as of ${when}, chained to ${root}`,
    ...rows.map(([name, value]) => `  ${name.padEnd(width)}  ${value}`),
  ];
}

/**
 * `tributary attest verify`: verifies one Nitro attestation document or SGX/TDX DCAP quote against the vendor's
 * pinned root as of now or `--at`. Exit 0 with `{"valid":true,…}` as the last line, 1 with `{"valid":false,"reason",
 * "check","message"}`, 2 for a usage error (unreadable file, missing collateral, bad flag).
 */
export async function runAttestVerify(raw: Record<string, unknown>): Promise<void> {
  let valid = true;
  await runCommand(raw, async (out) => {
    const options = parseInput(AttestVerifyOptionsSchema, raw, "attest verify options");
    checkFlagsFit(options);
    const document = await readInput(options.file, "file");
    const collateral = options.collateral === undefined ? undefined : await readCollateral(options.collateral);
    const verdict = await verifyAttestation({
      kind: options.kind,
      document,
      collateral,
      now: options.at === undefined ? Date.now() : options.at * 1000,
      atGiven: options.at !== undefined,
      ...(options.maxAgeS === undefined ? {} : { maxAgeMs: options.maxAgeS * 1000 }),
      ...(options.pcr === undefined ? {} : { allowedPcrs: options.pcr }),
      ...(options.signer === undefined ? {} : { signer: options.signer }),
      tcbPolicy: {
        allowedStatuses: ["UpToDate", ...(options.allowTcbStatus ?? [])],
        allowedAdvisoryIds: options.allowAdvisory ?? [],
      },
    });
    valid = verdict.valid;
    for (const line of describe(verdict)) out.say(line);
    process.stdout.write(toJsonLine(verdict));
  });
  if (!valid) process.exitCode = EXIT.finding;
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

/** Adds `attest verify` (anyone's, e.g. an auditor's or an operator's): checks a TEE attestation offline. */
export function registerAttestCommand(program: Command): void {
  const attest = program.command("attest").description("verify TEE attestations (AWS Nitro, Intel SGX and TDX)");
  attest
    .command("verify")
    .description(
      "verify an attestation document to the vendor's pinned root (exit 0 valid, 1 refused naming the failed check, 2 usage error); the last line is one JSON object",
    )
    .requiredOption(
      "--kind <nitro|sgx|tdx>",
      "nitro: a COSE_Sign1 document from the NSM; sgx: a DCAP quote v3; tdx: a DCAP quote v4",
    )
    .requiredOption("--file <file>", "the document or quote, as raw bytes")
    .option(
      "--collateral <file>",
      "sgx/tdx: the quote's collateral as dcap-qvl's QuoteCollateralV3 JSON (from Intel's PCS or a PCCS)",
    )
    .option("--at <unix-seconds>", "verify as of this time instead of now")
    .option(
      "--max-age-s <seconds>",
      "nitro: refuse a document issued longer ago than this before the verification time (default 600 as of now; unbounded with --at, where the leaf certificate's ~3 h validity bounds it)",
    )
    .option(
      "--pcr <index=hex,...>",
      "nitro: an allowlisted enclave, its PCRs (SHA-384 hex); repeat for each allowed enclave",
      collect,
    )
    .option("--signer <address>", "nitro: the Ethereum address the document's public_key must belong to")
    .option(
      "--allow-tcb-status <status>",
      `sgx/tdx: also accept this TCB status besides UpToDate (${EXTRA_TCB_STATUSES.join(", ")}); repeat; never Revoked`,
      collect,
    )
    .option(
      "--allow-advisory <id>",
      "sgx/tdx: accept a TCB level carrying this Intel security advisory (e.g. INTEL-SA-00615); repeat; every advisory must be allowed",
      collect,
    )
    .option("--json", "print only the JSON line", false)
    .exitOverride(exitWithUsageCode)
    .action((options: Record<string, unknown>) => runAttestVerify(options));
}
