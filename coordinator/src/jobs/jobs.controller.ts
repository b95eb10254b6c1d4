import { Body, Controller, Get, Inject, Param, Post } from "@nestjs/common";
import { ApiOperation, ApiTags } from "@nestjs/swagger";
import { JobIdSchema, type JobSpecInput, parseInput } from "@tributary/protocol";
import { JobsService } from "./jobs.service.js";

@ApiTags("jobs")
@Controller("jobs")
export class JobsController {
  constructor(@Inject(JobsService) private readonly jobs: JobsService) {}

  @Post()
  @ApiOperation({ summary: "Launch a training job from a JobSpec (model, datasets, rounds, strategy, DP)" })
  create(@Body() body: unknown) {
    return this.jobs.create(body as JobSpecInput);
  }

  @Get()
  list() {
    return this.jobs.list();
  }

  @Get(":id")
  get(@Param("id") id: string) {
    return this.jobs.get(parseInput(JobIdSchema, id, "job id"));
  }

  @Post(":id/cancel")
  cancel(@Param("id") id: string) {
    return this.jobs.cancel(parseInput(JobIdSchema, id, "job id"));
  }
}
