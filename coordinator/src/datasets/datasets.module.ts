import { Module } from "@nestjs/common";
import { DatasetRepository } from "./dataset.repository.js";
import { DatasetsController } from "./datasets.controller.js";
import { DatasetsService } from "./datasets.service.js";

/** Datasets enrolled with this coordinator, listed together with those enrolled on DatasetRegistry. */
@Module({
  controllers: [DatasetsController],
  providers: [DatasetRepository, DatasetsService],
  exports: [DatasetRepository],
})
export class DatasetsModule {}
