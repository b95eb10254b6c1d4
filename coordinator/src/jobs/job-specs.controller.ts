import { Body, Controller, Inject, Post } from "@nestjs/common";
import { ApiOperation, ApiTags } from "@nestjs/swagger";
import { JobSpecSchema, parseInput } from "@tributary/protocol";
import { BlobStore } from "../blobs/blob-store.js";
import { storeJobSpec } from "../chain/job-spec-blob.js";
import { Access } from "../common/access.decorator.js";
import { JobsService } from "./jobs.service.js";

/**
 * Where a researcher uploads a JobSpec before creating its job on chain (registered only with a chain configured).
 * The spec is checked as adoption will check it, so that nobody locks an escrow on a spec this coordinator refuses.
 */
@ApiTags("chain")
@Controller("chain/job-specs")
export class JobSpecsController {
  constructor(
    @Inject(BlobStore) private readonly blobs: BlobStore,
    @Inject(JobsService) private readonly jobs: JobsService,
  ) {}

  @Post()
  @Access("signed-in")
  @ApiOperation({
    summary:
      "Check and store a JobSpec; returns the modelSpecHash to pass to TrainingJobs.createJob (SHA-256 of its canonical JSON)",
  })
  async upload(@Body() body: unknown) {
    const spec = parseInput(JobSpecSchema, body, "JobSpec");
    await this.jobs.checkSpec(spec);
    const { modelSpecHash, cid } = await storeJobSpec(this.blobs, spec);
    return { modelSpecHash, cid };
  }
}
