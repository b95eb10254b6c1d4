import { Module } from "@nestjs/common";
import { ValidationSetsController } from "./validation-sets.controller.js";

/** Where researchers upload validation sets for contribution scoring (stored in the blob store). */
@Module({ controllers: [ValidationSetsController] })
export class ValidationModule {}
