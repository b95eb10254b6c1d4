import { Body, Controller, Get, Inject, Param, Post, Res } from "@nestjs/common";
import { ApiOperation, ApiTags } from "@nestjs/swagger";
import { type Address, CidSchema, JobIdSchema, parseInput, Uint256Schema } from "@tributary/protocol";
import type { Response } from "express";
import { Access, Caller } from "../common/access.decorator.js";
import { RegistryService } from "./registry.service.js";

/** ModelRegistry's listings here: metadata documents and licensed weights (present only with `chain.modelRegistry`). */
@ApiTags("registry")
@Controller()
export class RegistryController {
  constructor(@Inject(RegistryService) private readonly registry: RegistryService) {}

  @Post("jobs/:id/model-metadata")
  @Access("model-publisher")
  @ApiOperation({
    summary:
      "Publish the metadata of a finalised job's final model (checked against the chain); returns its CID and the ipfs:// URI to register",
  })
  publish(@Param("id") id: string, @Body() body: unknown, @Caller() caller: Address) {
    return this.registry.publish(parseInput(JobIdSchema, id, "job id"), body, caller);
  }

  @Get("model-metadata/:cid")
  @Access("anyone")
  @ApiOperation({ summary: "A published model metadata document: its canonical JSON bytes (SHA-256 = its CID)" })
  async metadata(@Param("cid") cid: string, @Res() response: Response): Promise<void> {
    const bytes = await this.registry.metadata(parseInput(CidSchema, cid, "metadata CID"));
    response.status(200).setHeader("content-type", "application/json").send(bytes);
  }

  @Get("licensed-models/:id")
  @Access("licence-holder")
  @ApiOperation({
    summary: "The weights of registered model :id (little-endian float32, SHA-256 = its registered modelHash)",
  })
  async weights(@Param("id") id: string, @Res() response: Response): Promise<void> {
    const weights = await this.registry.licensedWeights(BigInt(parseInput(Uint256Schema, id, "model id")));
    response
      .status(200)
      .setHeader("content-type", "application/octet-stream")
      .setHeader("x-content-sha256", weights.sha256)
      .setHeader("cache-control", "private, no-store")
      .send(weights.bytes);
  }
}
