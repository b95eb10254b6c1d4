import { Module } from "@nestjs/common";
import { DatasetRepository } from "./dataset.repository.js";
import { DatasetManifestRepository } from "./dataset-manifest.repository.js";
import { DatasetsController } from "./datasets.controller.js";
import { DatasetsService } from "./datasets.service.js";

/** Datasets enrolled with this coordinator, listed together with those enrolled on DatasetRegistry. */
@Module({
  controllers: [DatasetsController],
  providers: [DatasetRepository, DatasetManifestRepository, DatasetsService],
  exports: [DatasetRepository, DatasetManifestRepository],
})
export class DatasetsModule {}
