import { InvalidInputError, parseInput } from "@tributary/protocol";
import { decode } from "cborg";
import { z } from "zod";
import { AttestationRejectedError } from "../attestation-rejected-error.js";
import { STRICT_CBOR } from "./cose-sign1.js";

const bytes = (min: number, max: number) =>
  z.instanceof(Uint8Array).refine((value) => value.length >= min && value.length <= max, `must be ${min}–${max} bytes`);
/** SHA-384 PCRs are 48 bytes; Nitro's only digest is SHA384. */
const PCR_BYTES = 48;

/**
 * The attestation document's payload as AWS specifies it ("Nitro Enclaves attestation process", the
 * `AttestationDocument` CDDL): field names, types and size limits. Unknown fields are refused.
 */
const NitroPayloadSchema = z.strictObject({
  module_id: z.string().min(1),
  digest: z.literal("SHA384"),
  /** Unix milliseconds at which the NSM produced the document. */
  timestamp: z
    .union([z.number(), z.bigint()])
    .transform((value) => Number(value))
    .pipe(z.number().int().positive().max(Number.MAX_SAFE_INTEGER)),
  pcrs: z
    .map(z.number().int().min(0).max(31), bytes(PCR_BYTES, PCR_BYTES))
    .refine((pcrs) => pcrs.size >= 1 && pcrs.size <= 32, "must hold 1–32 PCRs"),
  certificate: bytes(1, 1024),
  cabundle: z.array(bytes(1, 1024)).min(1).max(16),
  public_key: bytes(1, 1024).nullable().optional(),
  user_data: bytes(0, 512).nullable().optional(),
  nonce: bytes(0, 512).nullable().optional(),
});

/** A parsed Nitro attestation document, before any of it is trusted. */
export interface NitroAttestationDocument {
  readonly moduleId: string;
  readonly digest: "SHA384";
  /** Unix milliseconds. */
  readonly timestamp: number;
  /** PCR index → value. */
  readonly pcrs: ReadonlyMap<number, Uint8Array>;
  /** The enclave's signing certificate (DER). */
  readonly certificate: Uint8Array;
  /** The issuing chain (DER), root first, the leaf's issuer last. */
  readonly cabundle: readonly Uint8Array[];
  readonly publicKey: Uint8Array | undefined;
  readonly userData: Uint8Array | undefined;
  readonly nonce: Uint8Array | undefined;
}

/** Decodes a COSE_Sign1 payload (strict CBOR) into a `NitroAttestationDocument`, or throws `malformed`. */
export function parseNitroAttestationDocument(payload: Uint8Array): NitroAttestationDocument {
  let decoded: unknown;
  try {
    decoded = decode(payload, STRICT_CBOR);
  } catch (cause) {
    throw new AttestationRejectedError("malformed", "the payload is not strict CBOR", {
      cause: cause instanceof Error ? cause.message : String(cause),
    });
  }
  if (!(decoded instanceof Map) || [...decoded.keys()].some((key) => typeof key !== "string")) {
    throw new AttestationRejectedError("malformed", "the payload is not a map with text keys");
  }
  let fields: z.output<typeof NitroPayloadSchema>;
  try {
    fields = parseInput(NitroPayloadSchema, Object.fromEntries(decoded), "NitroAttestationDocument");
  } catch (error) {
    if (!(error instanceof InvalidInputError)) throw error;
    throw new AttestationRejectedError("malformed", error.message, { issues: error.issues });
  }
  return {
    moduleId: fields.module_id,
    digest: fields.digest,
    timestamp: fields.timestamp,
    pcrs: fields.pcrs,
    certificate: fields.certificate,
    cabundle: fields.cabundle,
    publicKey: fields.public_key ?? undefined,
    userData: fields.user_data ?? undefined,
    nonce: fields.nonce ?? undefined,
  };
}
