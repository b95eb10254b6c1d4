import { Module } from "@nestjs/common";
import { AuthModule } from "../auth/auth.module.js";
import { ACCESS_POLICY } from "../common/tokens.js";
import { ValidationModule } from "../validation/validation.module.js";
import { AccessPolicyService } from "./access-policy.service.js";
import { BlobAccessRepository } from "./blob-access.repository.js";

/** Binds the access guard's `ACCESS_POLICY` port: roles from the chain's mirror and the coordinator's state. */
@Module({
  imports: [AuthModule, ValidationModule],
  providers: [BlobAccessRepository, AccessPolicyService, { provide: ACCESS_POLICY, useExisting: AccessPolicyService }],
  exports: [ACCESS_POLICY],
})
export class AccessModule {}
