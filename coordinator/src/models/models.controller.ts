import { Controller, Get, Inject, Param, Res } from "@nestjs/common";
import { ApiOperation, ApiTags } from "@nestjs/swagger";
import { CidSchema, parseInput } from "@tributary/protocol";
import type { Response } from "express";
import { BlobStore, sha256OfCid } from "../blobs/blob-store.js";
import { Access } from "../common/access.decorator.js";

@ApiTags("models")
@Controller("models")
export class ModelsController {
  constructor(@Inject(BlobStore) private readonly blobs: BlobStore) {}

  @Get(":cid")
  @Access("blob-reader")
  @ApiOperation({ summary: "Download a model by CID: little-endian float32 bytes, re-hashed before sending" })
  async download(@Param("cid") cid: string, @Res() response: Response): Promise<void> {
    const id = parseInput(CidSchema, cid, "model CID");
    const bytes = await this.blobs.get(id);
    response
      .status(200)
      .setHeader("content-type", "application/octet-stream")
      .setHeader("x-content-sha256", sha256OfCid(id))
      .setHeader("cache-control", "private, max-age=31536000, immutable")
      .send(bytes);
  }
}
