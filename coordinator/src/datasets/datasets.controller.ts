import { Body, Controller, Get, Inject, Param, Post } from "@nestjs/common";
import { ApiOperation, ApiTags } from "@nestjs/swagger";
import { type Address, DatasetIdSchema, parseInput } from "@tributary/protocol";
import { Access, Caller } from "../common/access.decorator.js";
import { ForbiddenError } from "../common/coordinator-errors.js";
import { DatasetsService, EnrolDatasetSchema } from "./datasets.service.js";

@ApiTags("datasets")
@Controller("datasets")
export class DatasetsController {
  constructor(@Inject(DatasetsService) private readonly datasets: DatasetsService) {}

  @Post()
  @Access("signed-in")
  @ApiOperation({
    summary:
      "Enrol a dataset (signed in as its owner): owner, manifest commitment, record count, privacy budget (ε, δ)",
  })
  enrol(@Body() body: unknown, @Caller() caller: Address) {
    const dataset = parseInput(EnrolDatasetSchema, body, "dataset");
    if (dataset.owner !== caller) {
      throw new ForbiddenError(`a dataset of ${dataset.owner} must be enrolled by its owner, not ${caller}`);
    }
    return this.datasets.enrol(dataset);
  }

  @Get()
  @Access("anyone")
  list() {
    return this.datasets.list();
  }

  @Get(":id")
  @Access("anyone")
  get(@Param("id") id: string) {
    return this.datasets.get(parseInput(DatasetIdSchema, id, "dataset id"));
  }
}
