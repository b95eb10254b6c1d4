import { createHash, generateKeyPairSync, type KeyObject, sign } from "node:crypto";
import type { AttestationDocument, Enclave } from "./attestation.js";

/** Format tag of simulated documents; every field of the document says it is simulated. */
export const SIMULATED_FORMAT = "tributary-SIMULATED-attestation/v1";
export const SIMULATED_WARNING = "SIMULATED ATTESTATION: not produced by a TEE, no hardware guarantee of any kind";
/** The simulator's fixed "measurement": SHA-384 of a label, so allowlists can name it explicitly. */
export const SIMULATED_MEASUREMENT = createHash("sha384")
  .update("tributary enclave simulator (NOT A TEE)")
  .digest("hex");

/** The signed part of a simulated document, serialised as canonical JSON (fixed key order). */
export interface SimulatedPayload {
  format: typeof SIMULATED_FORMAT;
  kind: "simulated";
  simulated: true;
  warning: typeof SIMULATED_WARNING;
  measurement: string;
  userData: string;
  nonce: string;
  issuedAt: number;
  publicKey: string;
}

export function encodeSimulatedPayload(payload: SimulatedPayload): Buffer {
  const ordered: SimulatedPayload = {
    format: payload.format,
    kind: payload.kind,
    simulated: payload.simulated,
    warning: payload.warning,
    measurement: payload.measurement,
    userData: payload.userData,
    nonce: payload.nonce,
    issuedAt: payload.issuedAt,
    publicKey: payload.publicKey,
  };
  return Buffer.from(JSON.stringify(ordered), "utf8");
}

export interface SimulatedEnclaveOptions {
  /** Where the loud "this is simulated" notice goes; defaults to `console.warn`. */
  readonly warn?: (message: string) => void;
  /** Injected clock (Unix ms), for tests. */
  readonly now?: () => number;
}

/**
 * Development stand-in for a TEE: signs attestation documents with a local ECDSA P-256 key. It exists so the whole
 * login and round flow runs on a laptop; a production coordinator refuses everything it produces.
 */
export class SimulatedEnclave implements Enclave {
  readonly kind = "simulated" as const;
  readonly simulated = true;
  readonly #privateKey: KeyObject;
  readonly #publicKey: string;
  readonly #now: () => number;

  constructor(options: SimulatedEnclaveOptions = {}) {
    const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
    this.#privateKey = privateKey;
    this.#publicKey = publicKey.export({ type: "spki", format: "der" }).toString("base64");
    this.#now = options.now ?? Date.now;
    (options.warn ?? console.warn)(`[enclave] ${SIMULATED_WARNING}. Production coordinators refuse these documents.`);
  }

  async attest(userData: Uint8Array, nonce: Uint8Array): Promise<AttestationDocument> {
    if (userData.length !== 32) throw new RangeError(`userData must be 32 bytes, got ${userData.length}`);
    const payload = encodeSimulatedPayload({
      format: SIMULATED_FORMAT,
      kind: "simulated",
      simulated: true,
      warning: SIMULATED_WARNING,
      measurement: SIMULATED_MEASUREMENT,
      userData: Buffer.from(userData).toString("hex"),
      nonce: Buffer.from(nonce).toString("hex"),
      issuedAt: this.#now(),
      publicKey: this.#publicKey,
    });
    const signature = sign("sha256", payload, this.#privateKey).toString("base64");
    const document = { payload: JSON.parse(payload.toString("utf8")) as SimulatedPayload, signature };
    return { kind: "simulated", bytes: Buffer.from(JSON.stringify(document), "utf8") };
  }
}
