import { Inject, Injectable, Optional } from "@nestjs/common";
import { type Address, CidSchema, JobIdSchema, parseInput, Uint256Schema } from "@tributary/protocol";
import { AuthService } from "../auth/auth.service.js";
import { BlobNotFoundError, BlobStore, sha256OfCid } from "../blobs/blob-store.js";
import { ChainRoundAnchorRepository } from "../chain/chain-round-anchor.repository.js";
import { ModelRegistryReader } from "../chain/model-registry-reader.js";
import type { AccessPolicy, Role } from "../common/access.decorator.js";
import { NotFoundError } from "../common/coordinator-errors.js";
import { ValidationSetRepository } from "../validation/validation-set.repository.js";
import { BlobAccessRepository } from "./blob-access.repository.js";

/**
 * The roles of docs/access-control.md, from the chain's mirror and the coordinator's state: a job's researcher
 * (its creator on TrainingJobs, or the signed-in address that created it here), the trainers admitted to it, the
 * auditors its spec names, who uploaded a validation set, and, with a ModelRegistry configured, the providers a
 * researcher approved there and the holders of model licences.
 */
@Injectable()
export class AccessPolicyService implements AccessPolicy {
  constructor(
    @Inject(AuthService) private readonly auth: AuthService,
    @Inject(BlobAccessRepository) private readonly state: BlobAccessRepository,
    @Inject(ValidationSetRepository) private readonly validationSets: ValidationSetRepository,
    @Inject(BlobStore) private readonly blobs: BlobStore,
    @Inject(ChainRoundAnchorRepository) private readonly anchors: ChainRoundAnchorRepository,
    @Optional() @Inject(ModelRegistryReader) private readonly registry?: ModelRegistryReader,
  ) {}

  caller(token: string): Promise<Address> {
    return this.auth.caller(token);
  }

  async allows(role: Role, caller: Address | undefined, params: Readonly<Record<string, string>>): Promise<boolean> {
    switch (role) {
      case "anyone":
        return true;
      case "signed-in":
        return caller !== undefined;
      case "job-researcher": {
        const jobId = parseInput(JobIdSchema, params.id, "job id");
        const researcher = await this.state.researcher(jobId);
        if (researcher === undefined) throw new NotFoundError("job", jobId);
        return caller === researcher;
      }
      case "blob-reader":
        return this.mayRead(parseInput(CidSchema, params.cid, "blob CID"), caller);
      case "model-publisher": {
        const jobId = parseInput(JobIdSchema, params.id, "job id");
        const researcher = await this.state.researcher(jobId);
        if (researcher === undefined) throw new NotFoundError("job", jobId);
        return caller === researcher || (await this.#approvedProvider(jobId, caller));
      }
      case "licence-holder": {
        const modelId = BigInt(parseInput(Uint256Schema, params.id, "model id"));
        if (this.registry === undefined || caller === undefined) return false;
        if ((await this.registry.model(modelId)) === undefined) throw new NotFoundError("model", String(modelId));
        return this.registry.hasLicense(modelId, caller);
      }
      case "metrics-scraper":
        // Decided by the access guard from the configured metrics token, never by a session.
        return false;
    }
  }

  /** Whether job `jobId`'s researcher approved `caller` on ModelRegistry to register and serve the job's models. */
  async #approvedProvider(jobId: string, caller: Address | undefined): Promise<boolean> {
    if (this.registry === undefined || caller === undefined) return false;
    return this.registry.isProviderApproved(jobId, caller);
  }

  /**
   * Whether `caller` (undefined: anonymous) may read blob `cid`:
   * - an update: the trainer that sent it, the job's researcher, the auditors the job's spec names;
   * - a global model: the job's researcher, the trainers admitted to the job (they train on it) and the auditors
   *   its spec names (they recompute its scores from the models and updates);
   * - a validation set: who uploaded it; everyone once a job scored on it is completed;
   * - a job spec: the job's researcher, its admitted trainers and its named auditors;
   * - anything else: nobody.
   * A CID with no blob is `BlobNotFoundError` (404) for everyone: a CID is a hash, it names nothing secret.
   */
  async mayRead(cid: string, caller: Address | undefined): Promise<boolean> {
    if (!(await this.blobs.has(cid))) throw new BlobNotFoundError(cid);
    for (const update of await this.state.updates(cid)) {
      if (caller === undefined) continue;
      if (caller === update.trainer || caller === (await this.state.researcher(update.jobId))) return true;
      if (await this.#namedAuditor(update.jobId, caller)) return true;
    }
    for (const jobId of await this.state.modelJobs(cid)) {
      if (caller !== undefined && (await this.#researcherParticipantOrAuditor(jobId, caller))) return true;
      if (
        (await this.anchors.finalModelHash(jobId)) === sha256OfCid(cid) &&
        (await this.#approvedProvider(jobId, caller))
      ) {
        return true;
      }
    }
    const scored = await this.state.jobsScoredOn(cid);
    if (scored.some((job) => job.status === "completed")) return true;
    if (caller !== undefined && (await this.validationSets.uploaders(cid)).includes(caller)) return true;
    for (const jobId of await this.state.jobsWithSpec(sha256OfCid(cid))) {
      if (caller !== undefined && (await this.#researcherParticipantOrAuditor(jobId, caller))) return true;
    }
    return false;
  }

  async #researcherParticipantOrAuditor(jobId: string, caller: Address): Promise<boolean> {
    if (caller === (await this.state.researcher(jobId))) return true;
    if ((await this.state.participants(jobId)).includes(caller)) return true;
    return this.#namedAuditor(jobId, caller);
  }

  /** Whether the job's spec names `caller` among its auditors. */
  async #namedAuditor(jobId: string, caller: Address): Promise<boolean> {
    const job = await this.state.job(jobId);
    return (job?.spec.auditors ?? []).some((auditor) => auditor.toLowerCase() === caller);
  }
}
