import {
  type CoordinatorHealth,
  CoordinatorHealthSchema,
  type JobLedger,
  JobLedgerSchema,
  type JobSpec,
  type JobSpecUpload,
  JobSpecUploadSchema,
  type ModelMetadata,
  type PayoutProof,
  PayoutProofSchema,
  type ValidationSetUpload,
  ValidationSetUploadSchema,
} from "@tributary/protocol";
import { z } from "zod";
import {
  type DatasetView,
  DatasetViewSchema,
  type JobView,
  JobViewSchema,
  type RoundView,
  RoundViewSchema,
} from "./coordinator-views.js";

/** A refusal or failure of the coordinator, in words a person can act on. */
export class CoordinatorError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

async function explain(response: Response, what: string): Promise<CoordinatorError> {
  let reason = response.statusText;
  try {
    const body = (await response.json()) as { error?: { message?: string }; message?: string };
    reason = body.error?.message ?? body.message ?? reason;
  } catch {
    // not JSON: keep the status text
  }
  const who =
    response.status === 401
      ? " (sign in first)"
      : response.status === 403
        ? " (your account may not read this)"
        : response.status === 404
          ? " (not found)"
          : "";
  return new CoordinatorError(response.status, `${what} failed${who}: ${reason}`);
}

/** The coordinator's REST API, each answer parsed with protocol's (or the portal's) schema. */
export class CoordinatorApi {
  constructor(
    readonly baseUrl: string,
    readonly token?: string,
  ) {}

  withToken(token: string | undefined): CoordinatorApi {
    return new CoordinatorApi(this.baseUrl, token);
  }

  async #get<T>(path: string, schema: z.ZodType<T>, what: string): Promise<T> {
    return this.#send(path, {}, schema, what);
  }

  async #send<T>(path: string, init: RequestInit, schema: z.ZodType<T>, what: string): Promise<T> {
    const headers: Record<string, string> = {
      ...(init.headers as Record<string, string> | undefined),
      ...(this.token === undefined ? {} : { authorization: `Bearer ${this.token}` }),
    };
    let response: Response;
    try {
      response = await fetch(`${this.baseUrl}${path}`, { ...init, headers });
    } catch (error) {
      throw new CoordinatorError(
        0,
        `${what} failed: the coordinator at ${this.baseUrl} is unreachable (${String(error)})`,
      );
    }
    if (!response.ok) throw await explain(response, what);
    return schema.parse(await response.json());
  }

  jobs(): Promise<JobView[]> {
    return this.#get("/jobs", z.array(JobViewSchema), "Listing jobs");
  }
  job(id: string): Promise<JobView> {
    return this.#get(`/jobs/${encodeURIComponent(id)}`, JobViewSchema, `Reading job ${id}`);
  }
  rounds(id: string): Promise<RoundView[]> {
    return this.#get(`/jobs/${encodeURIComponent(id)}/rounds`, z.array(RoundViewSchema), `Reading job ${id}'s rounds`);
  }
  ledger(id: string): Promise<JobLedger> {
    return this.#get(`/ledger/jobs/${encodeURIComponent(id)}`, JobLedgerSchema, `Reading job ${id}'s ledger`);
  }
  payoutProof(id: string, trainer: string): Promise<PayoutProof> {
    return this.#get(
      `/ledger/jobs/${encodeURIComponent(id)}/proof/${trainer}`,
      PayoutProofSchema,
      `Reading the payout proof of ${trainer}`,
    );
  }
  health(): Promise<CoordinatorHealth> {
    return this.#get("/health", CoordinatorHealthSchema, "Reading the coordinator's health");
  }
  /** `POST /validation-sets`: the held-out set's bytes, stored as the signed-in caller's upload. */
  uploadValidationSet(bytes: Uint8Array): Promise<ValidationSetUpload> {
    return this.#send(
      "/validation-sets",
      { method: "POST", headers: { "content-type": "application/octet-stream" }, body: bytes as BodyInit },
      ValidationSetUploadSchema,
      "Uploading the validation set",
    );
  }
  /** `POST /chain/job-specs`: the JobSpec an on-chain job's `modelSpecHash` names. */
  uploadJobSpec(spec: JobSpec): Promise<JobSpecUpload> {
    return this.#send(
      "/chain/job-specs",
      { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(spec) },
      JobSpecUploadSchema,
      "Uploading the JobSpec",
    );
  }
  /** `POST /jobs/:id/model-metadata`: stores a finalised job's model metadata; answers its CID and `ipfs://` URI. */
  publishModelMetadata(jobId: string, metadata: ModelMetadata): Promise<{ cid: string; uri: string }> {
    return this.#send(
      `/jobs/${encodeURIComponent(jobId)}/model-metadata`,
      { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(metadata) },
      z.object({ cid: z.string(), uri: z.string() }),
      "Publishing the model's metadata",
    );
  }
  datasets(): Promise<DatasetView[]> {
    return this.#get("/datasets", z.array(DatasetViewSchema), "Listing datasets");
  }

  /**
   * Waits until the coordinator lists dataset `id` with `commitment` (its chain indexer reads blocks after their
   * confirmations): true once it does, false after `timeoutMs`. A coordinator that knows the id with another
   * commitment follows another chain or registry: an error.
   */
  async waitForDataset(id: string, commitment: string, timeoutMs: number, intervalMs = 500): Promise<boolean> {
    const started = Date.now();
    for (;;) {
      const known = (await this.datasets().catch(() => [])).find((dataset) => dataset.id === id);
      if (known !== undefined) {
        if (known.commitment === undefined || known.commitment.toLowerCase() === commitment.toLowerCase()) return true;
        throw new CoordinatorError(
          200,
          `the coordinator knows dataset ${id} with commitment ${known.commitment}, not the enrolled ${commitment}: it follows another chain or DatasetRegistry`,
        );
      }
      if (Date.now() - started >= timeoutMs) return false;
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  }

  /** A ledger blob's bytes, or `undefined` when the coordinator does not serve it to this session. */
  async blob(jobId: string, cid: string): Promise<Uint8Array | undefined> {
    const headers: Record<string, string> = this.token === undefined ? {} : { authorization: `Bearer ${this.token}` };
    const response = await fetch(`${this.baseUrl}/ledger/jobs/${encodeURIComponent(jobId)}/blobs/${cid}`, { headers });
    if (!response.ok) return undefined;
    return new Uint8Array(await response.arrayBuffer());
  }
}
