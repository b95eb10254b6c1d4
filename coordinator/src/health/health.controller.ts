import { Controller, Get, Inject } from "@nestjs/common";
import { ApiOperation, ApiTags } from "@nestjs/swagger";
import { computeAddress } from "ethers";
import { Access } from "../common/access.decorator.js";
import { COORDINATOR_CONFIG } from "../common/tokens.js";
import { type CoordinatorConfig, developmentWithChain } from "../config/coordinator-config.js";

@ApiTags("health")
@Controller("health")
export class HealthController {
  constructor(@Inject(COORDINATOR_CONFIG) private readonly config: CoordinatorConfig) {}

  @Get()
  @Access("anyone")
  @ApiOperation({
    summary:
      "Liveness, mode, whether TEE attestations may be simulated, and with a chain the TrainingJobs it follows and the coordinator address jobs must name",
  })
  health() {
    const development = this.config.mode === "development";
    const chain = this.config.chain;
    return {
      status: "ok",
      mode: this.config.mode,
      database: this.config.databaseUrl === undefined ? "pglite (embedded)" : "postgresql",
      tee: development
        ? "SIMULATED attestations accepted (development mode: no hardware guarantee)"
        : "hardware TEEs only",
      attestationKinds: [
        "nitro",
        ...(this.config.dcapCollateralDir === undefined ? [] : ["sgx", "tdx"]),
        ...(development ? ["simulated"] : []),
      ],
      ...(developmentWithChain(this.config)
        ? {
            warning:
              "DEVELOPMENT MODE WITH A CHAIN: simulated TEE attestations are accepted for jobs that pay real tokens",
          }
        : {}),
      ...(chain === undefined
        ? {}
        : {
            chain: {
              chainId: this.config.chainId,
              trainingJobs: chain.trainingJobs.toLowerCase(),
              coordinator: (chain.coordinator ?? computeAddress(chain.senderPrivateKey as string)).toLowerCase(),
              ...(chain.attestationRegistry === undefined
                ? {}
                : { attestationRegistry: chain.attestationRegistry.toLowerCase() }),
            },
          }),
    };
  }
}
