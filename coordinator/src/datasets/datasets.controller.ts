import { Body, Controller, Get, Inject, Param, Post } from "@nestjs/common";
import { ApiOperation, ApiTags } from "@nestjs/swagger";
import { DatasetIdSchema, parseInput } from "@tributary/protocol";
import { DatasetsService, EnrolDatasetSchema } from "./datasets.service.js";

@ApiTags("datasets")
@Controller("datasets")
export class DatasetsController {
  constructor(@Inject(DatasetsService) private readonly datasets: DatasetsService) {}

  @Post()
  @ApiOperation({ summary: "Enrol a dataset: owner, manifest commitment, record count, privacy budget (ε, δ)" })
  enrol(@Body() body: unknown) {
    return this.datasets.enrol(parseInput(EnrolDatasetSchema, body, "dataset"));
  }

  @Get()
  list() {
    return this.datasets.list();
  }

  @Get(":id")
  get(@Param("id") id: string) {
    return this.datasets.get(parseInput(DatasetIdSchema, id, "dataset id"));
  }
}
