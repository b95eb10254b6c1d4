import { Controller, HttpCode, Inject, Post, Req } from "@nestjs/common";
import { ApiOperation, ApiTags } from "@nestjs/swagger";
import { type Address, decodeValidationSet, InvalidInputError } from "@tributary/protocol";
import type { Request } from "express";
import { BlobStore } from "../blobs/blob-store.js";
import { Access, Caller } from "../common/access.decorator.js";
import { COORDINATOR_CONFIG } from "../common/tokens.js";
import type { CoordinatorConfig } from "../config/coordinator-config.js";
import { ValidationSetRepository } from "./validation-set.repository.js";

/** Where a researcher uploads the held-out set its job's contribution scoring evaluates models on. */
@ApiTags("jobs")
@Controller("validation-sets")
export class ValidationSetsController {
  constructor(
    @Inject(BlobStore) private readonly blobs: BlobStore,
    @Inject(ValidationSetRepository) private readonly sets: ValidationSetRepository,
    @Inject(COORDINATOR_CONFIG) private readonly config: CoordinatorConfig,
  ) {}

  @Post()
  @HttpCode(201)
  @Access("signed-in")
  @ApiOperation({
    summary:
      "Upload a validation set (application/octet-stream, encodeValidationSet format, at most maxValidationSetBytes, streamed to disk); returns the CID to name in JobSpec.scoring.validationSetCid. Readable by its uploader until a job scored on it completes.",
  })
  async upload(@Req() request: Request, @Caller() caller: Address) {
    if (!request.is("application/octet-stream")) {
      throw new InvalidInputError("validation set", [
        { path: "content-type", message: "must be application/octet-stream" },
      ]);
    }
    const { cid, sha256 } = await this.blobs.putStream(request, this.config.maxValidationSetBytes);
    let set: ReturnType<typeof decodeValidationSet>;
    try {
      set = decodeValidationSet(await this.blobs.get(cid));
    } catch (error) {
      if ((await this.sets.uploaders(cid)).length === 0) await this.blobs.delete(cid);
      throw error;
    }
    await this.sets.record(cid, caller);
    return { cid, sha256, examples: set.labels.length, featureShape: set.featureShape };
  }
}
