import { createHash } from "node:crypto";
import type { AttestationRegistry } from "@tributary/contracts/typed";
import type { Bytes32, HardwareTeeKind } from "@tributary/protocol";
import type { ChainClient } from "./chain-client.js";
import { isRevert } from "./chain-errors.js";

/**
 * `IAttestationRegistry.TeeKind` of each hardware kind, by the measurement the coordinator verifies: Nitro's PCR0
 * (`AwsNitro`), SGX's MRENCLAVE (`SgxMrEnclave`), TDX's MRTD (`IntelTdx`).
 */
export const REGISTRY_TEE_KINDS: Readonly<Record<HardwareTeeKind, number>> = { nitro: 0, sgx: 1, tdx: 3 };
const KIND_NAMES = ["nitro", "sgx (MRENCLAVE)", "sgx (MRSIGNER)", "tdx"];

/**
 * A measurement as AttestationRegistry records it: 32 bytes as they are (zero-padded on the left when shorter),
 * anything longer (Nitro PCR0 and TDX MRTD are 48 bytes) as its SHA-256.
 */
export function registryMeasurement(hex: string): Bytes32 {
  const bytes = Buffer.from(hex, "hex");
  if (bytes.length > 32) return `0x${createHash("sha256").update(bytes).digest("hex")}` as Bytes32;
  return `0x${bytes.toString("hex").padStart(64, "0")}` as Bytes32;
}

/** A signer key's record on AttestationRegistry, as read at the confirmed head. */
export interface RegistryAttestation {
  /** `IAttestationRegistry.TeeKind`. */
  readonly kind: number;
  readonly measurement: Bytes32;
  readonly attestationHash: Bytes32;
  /** Unix seconds. */
  readonly expiry: number;
  /** Recorded, unexpired and its measurement still allowlisted (`isAttested`). */
  readonly attested: boolean;
  /** The timestamp of the block it was read at (Unix seconds). */
  readonly readAt: number;
}

/**
 * What the coordinator reads from AttestationRegistry, through its chain client, pinned to the head less the
 * indexer's `confirmations` (a record a reorganisation could undo counts for nothing). Nothing is cached: a
 * record expires, is replaced or revoked, and governance may remove a measurement from the allowlist at any block.
 */
export class AttestationRegistryReader {
  readonly address: string;
  readonly #contract: AttestationRegistry;
  readonly #client: ChainClient;

  constructor(client: ChainClient) {
    if (client.attestationRegistry === undefined) {
      throw new TypeError("AttestationRegistryReader needs chain.attestationRegistry");
    }
    this.address = client.attestationRegistry.address.toLowerCase();
    this.#contract = client.attestationRegistry.contract;
    this.#client = client;
  }

  async #blockTag(): Promise<number> {
    return Math.max(0, (await this.#client.provider.getBlockNumber()) - this.#client.confirmations);
  }

  /** Whether governance allowlists `measurement` (as `registryMeasurement` gives it) for `kind`. */
  async isMeasurementAllowed(kind: HardwareTeeKind, measurement: Bytes32): Promise<boolean> {
    return this.#contract.isMeasurementAllowed(REGISTRY_TEE_KINDS[kind], measurement, {
      blockTag: await this.#blockTag(),
    });
  }

  /** `signer`'s record, or undefined when it has none (at the confirmed head). */
  async attestation(signer: string): Promise<RegistryAttestation | undefined> {
    const blockTag = await this.#blockTag();
    let record: Awaited<ReturnType<AttestationRegistry["getAttestation"]>>;
    try {
      record = await this.#contract.getAttestation(signer, { blockTag });
    } catch (error) {
      if (isRevert(error)) return undefined; // AttestationRegistryNoAttestation
      throw error;
    }
    const [attested, block] = await Promise.all([
      this.#contract.isAttested(signer, { blockTag }),
      this.#client.provider.getBlock(blockTag),
    ]);
    return {
      kind: Number(record.kind),
      measurement: record.measurement.toLowerCase() as Bytes32,
      attestationHash: record.attestationHash.toLowerCase() as Bytes32,
      expiry: Number(record.expiry),
      attested,
      readAt: block?.timestamp ?? 0,
    };
  }

  /**
   * Why `signer` does not count as attested for a job that requires one of `kinds` (default: any), or undefined
   * when it does: no record, expired, measurement no longer allowlisted, or another kind.
   */
  async refusal(signer: string, kinds?: readonly HardwareTeeKind[]): Promise<string | undefined> {
    const record = await this.attestation(signer);
    const where = `on AttestationRegistry ${this.address} (read ${this.#client.confirmations} blocks below the head)`;
    if (record === undefined) {
      return `${signer} is not attested ${where}: the coordinator records a key once its hardware attestation verified, and it counts once that record is confirmed`;
    }
    if (!record.attested) {
      const why =
        record.expiry <= record.readAt
          ? `it expired at ${new Date(record.expiry * 1000).toISOString()}`
          : `its measurement ${record.measurement} is no longer allowlisted`;
      return `${signer}'s attestation ${where} no longer counts: ${why}`;
    }
    const allowed = (kinds ?? ["nitro", "sgx", "tdx"]).map((kind) => REGISTRY_TEE_KINDS[kind]);
    if (!allowed.includes(record.kind)) {
      return `${signer} is attested as ${KIND_NAMES[record.kind] ?? record.kind}; the job requires ${(kinds ?? []).join(" or ")}`;
    }
    return undefined;
  }
}
