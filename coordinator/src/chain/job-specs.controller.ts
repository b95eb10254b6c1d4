import { Body, Controller, Inject, Post } from "@nestjs/common";
import { ApiOperation, ApiTags } from "@nestjs/swagger";
import type { JobSpecInput } from "@tributary/protocol";
import { BlobStore } from "../blobs/blob-store.js";
import { Access } from "../common/access.decorator.js";
import { storeJobSpec } from "./job-spec-blob.js";

/** Where a researcher uploads a JobSpec before creating its job on chain (present only with a chain configured). */
@ApiTags("chain")
@Controller("chain/job-specs")
export class JobSpecsController {
  constructor(@Inject(BlobStore) private readonly blobs: BlobStore) {}

  @Post()
  @Access("signed-in")
  @ApiOperation({
    summary:
      "Store a JobSpec; returns the modelSpecHash to pass to TrainingJobs.createJob (SHA-256 of its canonical JSON)",
  })
  async upload(@Body() body: unknown) {
    const { modelSpecHash, cid } = await storeJobSpec(this.blobs, body as JobSpecInput);
    return { modelSpecHash, cid };
  }
}
