import { type DynamicModule, Module } from "@nestjs/common";
import {
  ATTESTATION_TEST_ROOTS,
  type AttestationTestRoots,
  CLOCK,
  type Clock,
  COORDINATOR_CONFIG,
} from "../common/tokens.js";
import type { CoordinatorConfig } from "./coordinator-config.js";

/** What the application is built with besides its configuration (tests set them). */
export interface ConfigSeams {
  readonly clock?: Clock;
  readonly attestationTestRoots?: AttestationTestRoots;
}

/**
 * The parsed configuration under `COORDINATOR_CONFIG`, the clock under `CLOCK` (default `Date.now`) and the test
 * roots under `ATTESTATION_TEST_ROOTS` (default none: the vendors' roots), for every module.
 */
@Module({})
export class ConfigModule {
  static forRoot(config: CoordinatorConfig, seams: ConfigSeams = {}): DynamicModule {
    const providers = [
      { provide: COORDINATOR_CONFIG, useValue: config },
      { provide: CLOCK, useValue: seams.clock ?? Date.now },
      { provide: ATTESTATION_TEST_ROOTS, useValue: seams.attestationTestRoots ?? {} },
    ];
    return {
      module: ConfigModule,
      global: true,
      providers,
      exports: [COORDINATOR_CONFIG, CLOCK, ATTESTATION_TEST_ROOTS],
    };
  }
}
