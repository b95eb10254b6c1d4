import { Controller, Get, Inject, Param } from "@nestjs/common";
import { ApiOperation, ApiTags } from "@nestjs/swagger";
import { JobIdSchema, parseInput } from "@tributary/protocol";
import { Access } from "../common/access.decorator.js";
import { RoundsService } from "./rounds.service.js";

@ApiTags("jobs")
@Controller("jobs")
export class RoundsController {
  constructor(@Inject(RoundsService) private readonly rounds: RoundsService) {}

  @Get(":id/rounds")
  @Access("anyone")
  @ApiOperation({ summary: "Rounds of a job with each selected trainer's status and metrics" })
  list(@Param("id") id: string) {
    return this.rounds.listForJob(parseInput(JobIdSchema, id, "job id"));
  }
}
