import { Module } from "@nestjs/common";
import { ModelRepository } from "./model.repository.js";
import { ModelsController } from "./models.controller.js";

/** Global model versions: their records and the download route (the bytes come from the blob store). */
@Module({ controllers: [ModelsController], providers: [ModelRepository], exports: [ModelRepository] })
export class ModelsModule {}
