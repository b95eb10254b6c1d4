import { Body, Controller, Get, Inject, Param, Post } from "@nestjs/common";
import { ApiOperation, ApiTags } from "@nestjs/swagger";
import { type Address, JobIdSchema, type JobSpecInput, parseInput } from "@tributary/protocol";
import { Access, Caller } from "../common/access.decorator.js";
import { JobsService } from "./jobs.service.js";

@ApiTags("jobs")
@Controller("jobs")
export class JobsController {
  constructor(@Inject(JobsService) private readonly jobs: JobsService) {}

  @Post()
  @Access("signed-in")
  @ApiOperation({ summary: "Launch a training job from a JobSpec (model, datasets, rounds, strategy, DP)" })
  create(@Body() body: unknown, @Caller() caller: Address) {
    return this.jobs.create(body as JobSpecInput, caller);
  }

  @Get()
  @Access("anyone")
  list() {
    return this.jobs.list();
  }

  @Get(":id")
  @Access("anyone")
  get(@Param("id") id: string) {
    return this.jobs.get(parseInput(JobIdSchema, id, "job id"));
  }

  @Post(":id/cancel")
  @Access("job-researcher")
  @ApiOperation({
    summary: "Cancel an off-chain job (its researcher only; on-chain jobs are cancelled on TrainingJobs)",
  })
  cancel(@Param("id") id: string) {
    return this.jobs.cancel(parseInput(JobIdSchema, id, "job id"));
  }
}
