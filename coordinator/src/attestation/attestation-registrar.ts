import { createHash } from "node:crypto";
import { Inject, Injectable, Logger, Optional } from "@nestjs/common";
import {
  type AttestationClaims,
  type AttestationPolicy,
  type AttestationVerifier,
  checkTrainerAttestation,
  type TeeKind,
} from "@tributary/enclave-compute";
import {
  type Address,
  type AttestationRequirement,
  type Bytes32,
  type HardwareTeeKind,
  type JobId,
  TributaryError,
} from "@tributary/protocol";
import {
  AttestationRegistryReader,
  REGISTRY_TEE_KINDS,
  registryMeasurement,
} from "../chain/attestation-registry-reader.js";
import { ChainClient } from "../chain/chain-client.js";
import type { RecordAttestationArgs } from "../chain/chain-intent.js";
import { ChainIntentRepository } from "../chain/chain-intent.repository.js";
import {
  ATTESTATION_TEST_ROOTS,
  type AttestationTestRoots,
  CLOCK,
  type Clock,
  COORDINATOR_CONFIG,
} from "../common/tokens.js";
import type { CoordinatorConfig } from "../config/coordinator-config.js";
import type { Transaction } from "../database/transaction-runner.repository.js";
import { attestationPolicy, attestationVerifiers } from "./attestation-verifiers.js";

/** A job requires attested trainers and this attestation does not qualify (a clear refusal for the trainer). */
export class AttestationRequiredError extends TributaryError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super("ATTESTATION_REQUIRED", message, { details });
  }
}

/** A trainer's attestation that verified, and what AttestationRegistry would record of it. */
export interface VerifiedAttestation {
  readonly claims: AttestationClaims;
  /** SHA-256 of the document (0x hex); null for the simulator. */
  readonly attestationHash: Bytes32 | null;
  /** When the attested key stops counting (Unix seconds); null for the simulator. */
  readonly expiry: number | null;
}

const isHardware = (kind: TeeKind): kind is HardwareTeeKind => kind !== "simulated";

/**
 * The coordinator's registrar: it verifies a trainer's attestation under the coordinator's policy (mode, pinned
 * vendor roots, allowlisted measurements, freshness, key binding) with the real verifiers, and records each
 * hardware-attested key on AttestationRegistry through the chain outbox: (signer, kind, measurement or its SHA-256
 * when longer than 32 bytes, SHA-256 of the document, expiry). The expiry is the document's issue time plus
 * `attestationTtlS`, never past the end of the evidence's validity (a Nitro document's leaf certificate); a quote
 * has no issue time, so its TTL runs from the verification. Simulated attestations are never recorded.
 */
@Injectable()
export class AttestationRegistrar {
  readonly #logger = new Logger("attestation");
  readonly #policy: AttestationPolicy;
  readonly #verifiers: readonly AttestationVerifier[];

  constructor(
    @Inject(COORDINATOR_CONFIG) private readonly config: CoordinatorConfig,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(ChainIntentRepository) private readonly intents: ChainIntentRepository,
    @Inject(ATTESTATION_TEST_ROOTS) testRoots: AttestationTestRoots,
    @Optional() @Inject(ChainClient) private readonly client?: ChainClient,
    @Optional() @Inject(AttestationRegistryReader) private readonly registry?: AttestationRegistryReader,
  ) {
    this.#policy = attestationPolicy(config);
    this.#verifiers = attestationVerifiers(config, testRoots);
  }

  /** The kinds this coordinator verifies. */
  get kinds(): TeeKind[] {
    return this.#verifiers.map((verifier) => verifier.kind);
  }

  /**
   * Verifies `document` for `signer` joining `jobId` with the challenge `coordinatorNonce`, as of the clock
   * (`checkTrainerAttestation`); throws `AttestationRejectedError` naming the failed check.
   */
  async verify(check: {
    kind: TeeKind;
    document: Uint8Array;
    signer: Address;
    jobId: JobId;
    coordinatorNonce: Bytes32;
  }): Promise<VerifiedAttestation> {
    const claims = await checkTrainerAttestation({ ...check, now: this.clock() }, this.#policy, this.#verifiers);
    if (claims.simulated) return { claims, attestationHash: null, expiry: null };
    const attestationHash = `0x${createHash("sha256").update(check.document).digest("hex")}` as Bytes32;
    const issued = Math.floor(claims.issuedAt / 1000);
    const leaf = "certificates" in claims ? (claims.certificates as readonly { notAfter: number }[]).at(-1) : undefined;
    const expiry = Math.min(issued + this.config.attestationTtlS, ...(leaf ? [Math.floor(leaf.notAfter / 1000)] : []));
    return { claims, attestationHash, expiry };
  }

  /**
   * For a job that requires attested trainers: the attestation must be a hardware one of the job's kinds whose
   * measurement governance allowlists on AttestationRegistry; otherwise `AttestationRequiredError` says why.
   */
  async checkRequirement(
    jobId: string,
    requirement: AttestationRequirement | undefined,
    attestation: VerifiedAttestation,
  ): Promise<void> {
    if (requirement?.required !== true) return;
    const { kind, measurement } = attestation.claims;
    const kinds = requirement.kinds ?? ["nitro", "sgx", "tdx"];
    if (!isHardware(kind) || !kinds.includes(kind)) {
      throw new AttestationRequiredError(
        `job ${jobId} requires a hardware-attested trainer (${kinds.join(", ")}); a ${kind === "simulated" ? "SIMULATED" : kind} attestation does not qualify`,
        { jobId, kind, kinds },
      );
    }
    if (this.registry === undefined) {
      throw new AttestationRequiredError(
        `job ${jobId} requires attested trainers but this coordinator has no AttestationRegistry configured`,
      );
    }
    const recorded = registryMeasurement(measurement);
    if (!(await this.registry.isMeasurementAllowed(kind, recorded))) {
      throw new AttestationRequiredError(
        `job ${jobId} requires an enclave allowlisted on AttestationRegistry ${this.registry.address}: ${kind} measurement ${measurement} (recorded as ${recorded}) is not; governance adds it with gov propose --set attestationRegistry.measurementAllowed:KIND:MEASUREMENT=true`,
        { jobId, kind, measurement, recorded },
      );
    }
  }

  /**
   * What to record on AttestationRegistry for `signer`, or undefined when nothing will be: a simulated attestation,
   * no registry configured, no sender key (a read-only coordinator), or a measurement governance has not
   * allowlisted there (the call would revert; logged). An unreadable registry does not stop the record: the outbox
   * checks the chain again before it sends.
   */
  async planRecord(signer: Address, attestation: VerifiedAttestation): Promise<RecordAttestationArgs | undefined> {
    const { claims, attestationHash, expiry } = attestation;
    if (!isHardware(claims.kind) || attestationHash === null || expiry === null) return undefined;
    if (this.client?.attestationRegistry === undefined || this.client.wallet === undefined) return undefined;
    const measurement = registryMeasurement(claims.measurement);
    const allowed = await this.registry?.isMeasurementAllowed(claims.kind, measurement).catch(() => true);
    if (allowed === false) {
      this.#logger.warn(
        `not recording ${signer} on AttestationRegistry: its ${claims.kind} measurement ${measurement} is not allowlisted there`,
      );
      return undefined;
    }
    return { signer, kind: REGISTRY_TEE_KINDS[claims.kind], measurement, attestationHash, expiry };
  }

  /** Commits the record to the outbox in the caller's transaction (the one that admits the trainer). */
  async commitRecord(tx: Transaction, record: RecordAttestationArgs): Promise<void> {
    await this.intents.enqueue(tx, { kind: "recordAttestation", args: record });
    this.#logger.log(
      `recording ${record.signer} on AttestationRegistry: kind ${record.kind}, measurement ${record.measurement}, document ${record.attestationHash}, until ${new Date(record.expiry * 1000).toISOString()}`,
    );
  }
}
