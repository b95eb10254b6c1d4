import { Module } from "@nestjs/common";
import { ValidationSetRepository } from "./validation-set.repository.js";
import { ValidationSetsController } from "./validation-sets.controller.js";

/** Where researchers upload validation sets for contribution scoring (bytes in the blob store, uploader here). */
@Module({
  controllers: [ValidationSetsController],
  providers: [ValidationSetRepository],
  exports: [ValidationSetRepository],
})
export class ValidationModule {}
