import { type DynamicModule, Module } from "@nestjs/common";
import { COORDINATOR_CONFIG } from "../common/tokens.js";
import type { CoordinatorConfig } from "./coordinator-config.js";

/** The parsed configuration under `COORDINATOR_CONFIG`, for every module. */
@Module({})
export class ConfigModule {
  static forRoot(config: CoordinatorConfig): DynamicModule {
    const provider = { provide: COORDINATOR_CONFIG, useValue: config };
    return { module: ConfigModule, global: true, providers: [provider], exports: [COORDINATOR_CONFIG] };
  }
}
