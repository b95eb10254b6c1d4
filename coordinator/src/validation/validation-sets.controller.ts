import { Controller, HttpCode, Inject, Post, Req } from "@nestjs/common";
import { ApiOperation, ApiTags } from "@nestjs/swagger";
import { decodeValidationSet, InvalidInputError } from "@tributary/protocol";
import type { Request } from "express";
import { BlobStore } from "../blobs/blob-store.js";

/** Largest validation set accepted (the whole set is held in memory to score rounds). */
const MAX_BYTES = 512 * 1024 * 1024;

async function readBody(request: Request): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).byteLength;
    if (size > MAX_BYTES) {
      throw new InvalidInputError("validation set", [{ path: "body", message: `is larger than ${MAX_BYTES} bytes` }]);
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** Where a researcher uploads the held-out set its job's contribution scoring evaluates models on. */
@ApiTags("jobs")
@Controller("validation-sets")
export class ValidationSetsController {
  constructor(@Inject(BlobStore) private readonly blobs: BlobStore) {}

  @Post()
  @HttpCode(201)
  @ApiOperation({
    summary:
      "Upload a validation set (application/octet-stream, encodeValidationSet format); returns the CID to name in JobSpec.scoring.validationSetCid",
  })
  async upload(@Req() request: Request) {
    if (!request.is("application/octet-stream")) {
      throw new InvalidInputError("validation set", [
        { path: "content-type", message: "must be application/octet-stream" },
      ]);
    }
    const bytes = await readBody(request);
    const set = decodeValidationSet(bytes);
    const { cid, sha256 } = await this.blobs.put(bytes);
    return { cid, sha256, examples: set.labels.length, featureShape: set.featureShape };
  }
}
