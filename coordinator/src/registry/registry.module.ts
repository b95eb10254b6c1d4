import { Module } from "@nestjs/common";
import { ModelsModule } from "../models/models.module.js";
import { ModelMetadataRepository } from "./model-metadata.repository.js";
import { RegistryController } from "./registry.controller.js";
import { RegistryService } from "./registry.service.js";

/**
 * ModelRegistry's listings: model metadata published and served here, and the weights of registered models served
 * to their licence holders (imported by the application only with `chain.modelRegistry`).
 */
@Module({
  imports: [ModelsModule],
  controllers: [RegistryController],
  providers: [ModelMetadataRepository, RegistryService],
})
export class RegistryModule {}
