import { Controller, Get, Inject, Param, Res } from "@nestjs/common";
import { ApiOperation, ApiTags } from "@nestjs/swagger";
import { AddressSchema, CidSchema, JobIdSchema, parseInput } from "@tributary/protocol";
import type { Response } from "express";
import { BlobStore, sha256OfCid } from "../blobs/blob-store.js";
import { Access } from "../common/access.decorator.js";
import { NotFoundError } from "../common/coordinator-errors.js";
import { LedgerService } from "./ledger.service.js";

/** The contribution ledger of on-chain jobs (present only with a chain configured). */
@ApiTags("ledger")
@Controller("ledger/jobs")
export class LedgerController {
  constructor(
    @Inject(LedgerService) private readonly ledgers: LedgerService,
    @Inject(BlobStore) private readonly blobs: BlobStore,
  ) {}

  @Get(":id")
  @Access("anyone")
  @ApiOperation({
    summary: "A job's ledger: rounds, leaves, roots, anchor transactions, scores, ε per dataset, payouts",
  })
  ledger(@Param("id") id: string) {
    return this.ledgers.ledger(parseInput(JobIdSchema, id, "job id"));
  }

  @Get(":id/proof/:trainer")
  @Access("anyone")
  @ApiOperation({ summary: "A contributor's payout leaf and Merkle proof, as TrainingJobs.claim takes them" })
  proof(@Param("id") id: string, @Param("trainer") trainer: string) {
    return this.ledgers.proof(
      parseInput(JobIdSchema, id, "job id"),
      parseInput(AddressSchema, trainer.toLowerCase(), "trainer address"),
    );
  }

  @Get(":id/blobs/:cid")
  @Access("blob-reader")
  @ApiOperation({ summary: "The bytes of an update or model named in the job's ledger (SHA-256 = its leaf hash)" })
  async blob(@Param("id") id: string, @Param("cid") cid: string, @Res() response: Response): Promise<void> {
    const jobId = parseInput(JobIdSchema, id, "job id");
    const blobId = parseInput(CidSchema, cid, "blob CID");
    if (!(await this.ledgers.holdsBlob(jobId, blobId))) throw new NotFoundError(`blob of job ${jobId}`, blobId);
    const bytes = await this.blobs.get(blobId);
    response
      .status(200)
      .setHeader("content-type", "application/octet-stream")
      .setHeader("x-content-sha256", sha256OfCid(blobId))
      .send(bytes);
  }
}
