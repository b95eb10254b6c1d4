import { Module } from "@nestjs/common";
import { AttestationRegistrar } from "./attestation-registrar.js";

/**
 * Trainer attestation: the real verifiers (AWS Nitro, Intel SGX and TDX; the simulator in development only) under
 * the coordinator's policy and clock, and the registrar that records attested keys on AttestationRegistry through
 * the chain outbox. Reads the chain module's client and registry reader when a chain is configured.
 */
@Module({ providers: [AttestationRegistrar], exports: [AttestationRegistrar] })
export class AttestationModule {}
