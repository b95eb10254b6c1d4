import { Module } from "@nestjs/common";
import { HealthController } from "./health.controller.js";

/** Liveness and mode. */
@Module({ controllers: [HealthController] })
export class HealthModule {}
