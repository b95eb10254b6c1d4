import { parseInput } from "@tributary/protocol";
import { z } from "zod";
import { rejectDcap } from "./dcap-rejection.js";

const hexBytes = (length?: number) =>
  z
    .string()
    .regex(/^([0-9a-fA-F]{2})*$/, "must be hex")
    .refine((value) => length === undefined || value.length === length * 2, `must be ${length} bytes of hex`);
const pem = z.string().includes("-----BEGIN CERTIFICATE-----", { message: "must hold PEM certificates" });
const timestamp = z.iso.datetime({ offset: true });

/**
 * The collateral of one quote, in the JSON format of `dcap-qvl`'s `QuoteCollateralV3` (what Intel's PCS or a PCCS
 * serves, as fetched for the quote's FMSPC and PCK CA): PEM issuer chains (leaf first), CRLs as hex DER, TCB info
 * and QE identity as the exact JSON text Intel signed, their signatures as hex r ‖ s.
 */
export const DcapCollateralSchema = z.object({
  pck_crl_issuer_chain: pem,
  root_ca_crl: hexBytes(),
  pck_crl: hexBytes(),
  tcb_info_issuer_chain: pem,
  tcb_info: z.string().min(2),
  tcb_info_signature: hexBytes(64),
  qe_identity_issuer_chain: pem,
  qe_identity: z.string().min(2),
  qe_identity_signature: hexBytes(64),
});
export type DcapCollateral = z.infer<typeof DcapCollateralSchema>;

const TcbComponentSchema = z.object({ svn: z.number().int().min(0).max(255) });
const components = z.array(TcbComponentSchema).length(16);
/** Every TCB status a policy may allow (all but `Revoked`), in Intel's order from best to worst. */
export const ALLOWABLE_TCB_STATUSES = [
  "UpToDate",
  "SWHardeningNeeded",
  "ConfigurationNeeded",
  "ConfigurationAndSWHardeningNeeded",
  "OutOfDate",
  "OutOfDateConfigurationNeeded",
] as const;
const TcbStatusSchema = z.enum([...ALLOWABLE_TCB_STATUSES, "Revoked"]);
export type TcbStatus = z.infer<typeof TcbStatusSchema>;
const advisoryIds = z.array(z.string()).default([]);

const IsvSvnLevelSchema = z.object({
  tcb: z.object({ isvsvn: z.number().int().min(0).max(0xffff) }),
  tcbDate: timestamp,
  tcbStatus: TcbStatusSchema,
  advisoryIDs: advisoryIds,
});
export type IsvSvnLevel = z.infer<typeof IsvSvnLevelSchema>;

const TdxModuleSchema = z.object({
  mrsigner: hexBytes(48),
  attributes: hexBytes(8),
  attributesMask: hexBytes(8),
});

/** Intel's TCB info (API v4, TCB info versions 2 and 3), the fields verification reads. */
export const TcbInfoSchema = z.object({
  id: z.enum(["SGX", "TDX"]).default("SGX"),
  version: z.number().int().min(2).max(3),
  issueDate: timestamp,
  nextUpdate: timestamp,
  fmspc: hexBytes(6),
  pceId: hexBytes(2),
  tcbType: z.literal(0),
  tdxModule: TdxModuleSchema.optional(),
  tdxModuleIdentities: z
    .array(TdxModuleSchema.extend({ id: z.string(), tcbLevels: z.array(IsvSvnLevelSchema) }))
    .optional(),
  tcbLevels: z
    .array(
      z.object({
        tcb: z.object({
          sgxtcbcomponents: components,
          pcesvn: z.number().int().min(0),
          tdxtcbcomponents: components.optional(),
        }),
        tcbDate: timestamp,
        tcbStatus: TcbStatusSchema,
        advisoryIDs: advisoryIds,
      }),
    )
    .min(1),
});
export type TcbInfo = z.infer<typeof TcbInfoSchema>;
export type TcbLevel = TcbInfo["tcbLevels"][number];

/** Intel's QE identity (enclave identity version 2), the fields verification reads. */
export const QeIdentitySchema = z.object({
  id: z.enum(["QE", "QVE", "TD_QE"]),
  version: z.literal(2),
  issueDate: timestamp,
  nextUpdate: timestamp,
  miscselect: hexBytes(4),
  miscselectMask: hexBytes(4),
  attributes: hexBytes(16),
  attributesMask: hexBytes(16),
  mrsigner: hexBytes(32),
  isvprodid: z.number().int().min(0).max(0xffff),
  tcbLevels: z.array(IsvSvnLevelSchema).min(1),
});
export type QeIdentity = z.infer<typeof QeIdentitySchema>;

function parseOrReject<S extends z.ZodType>(
  schema: S,
  input: unknown,
  what: string,
  check: "collateral-format" | "tcb-info" | "qe-identity",
): z.output<S> {
  try {
    return parseInput(schema, input, what);
  } catch (error) {
    return rejectDcap("malformed", check, error instanceof Error ? error.message : String(error));
  }
}

/** Validates collateral read from a file or a PCCS (e.g. `JSON.parse` of the vectors' `*_collateral.json`). */
export function parseDcapCollateral(input: unknown): DcapCollateral {
  return parseOrReject(DcapCollateralSchema, input, "DcapCollateral", "collateral-format");
}

function parseJsonText(text: string, what: string, check: "tcb-info" | "qe-identity"): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return rejectDcap("malformed", check, `${what} is not JSON`);
  }
}

/** Parses the signed TCB info text (after its signature was checked). */
export function parseTcbInfo(text: string): TcbInfo {
  return parseOrReject(TcbInfoSchema, parseJsonText(text, "TCB info", "tcb-info"), "TcbInfo", "tcb-info");
}

/** Parses the signed QE identity text (after its signature was checked). */
export function parseQeIdentity(text: string): QeIdentity {
  return parseOrReject(
    QeIdentitySchema,
    parseJsonText(text, "QE identity", "qe-identity"),
    "QeIdentity",
    "qe-identity",
  );
}
