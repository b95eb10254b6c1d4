import { createHash } from "node:crypto";
import {
  type Bytes32,
  bytesToWeights,
  type JobId,
  type JobSpec,
  JobSpecSchema,
  parseInput,
  TributaryError,
} from "@tributary/protocol";
import { z } from "zod";

export class CoordinatorRequestError extends TributaryError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super("COORDINATOR_REQUEST_FAILED", message, { details });
  }
}

export class ModelHashMismatchError extends TributaryError {
  constructor(cid: string, expected: string, actual: string) {
    super("MODEL_HASH_MISMATCH", `model ${cid} hashes to ${actual}, the instruction says ${expected}`, {
      details: { cid, expected, actual },
    });
  }
}

const JobResponseSchema = z.looseObject({ id: z.string(), spec: z.unknown() });
const DatasetResponseSchema = z.looseObject({ id: z.string(), commitment: z.string() });

/** The coordinator's REST endpoints a trainer uses: job specs, enrolled commitments, global models. */
export class CoordinatorApi {
  #token: string | undefined;

  /** `renew` signs in afresh (EIP-4361) when a session has expired; without it an expired session fails. */
  constructor(
    private readonly baseUrl: string,
    private readonly renew?: () => Promise<string>,
  ) {}

  /** The bearer token the socket login granted; sent with every request from now on. */
  setSession(token: string): void {
    this.#token = token;
  }

  async #fetch(path: string): Promise<Response> {
    try {
      return await fetch(`${this.baseUrl}${path}`, {
        headers: this.#token === undefined ? {} : { authorization: `Bearer ${this.#token}` },
      });
    } catch (cause) {
      throw new CoordinatorRequestError(`GET ${path}: ${(cause as Error).message}`);
    }
  }

  async #get(path: string): Promise<Response> {
    let response = await this.#fetch(path);
    if (response.status === 401 && this.#token !== undefined && this.renew !== undefined) {
      await response.body?.cancel();
      this.#token = await this.renew();
      response = await this.#fetch(path);
    }
    if (!response.ok)
      throw new CoordinatorRequestError(`GET ${path} → HTTP ${response.status}: ${await response.text()}`);
    return response;
  }

  async jobSpec(jobId: JobId): Promise<JobSpec> {
    const job = parseInput(JobResponseSchema, await (await this.#get(`/jobs/${jobId}`)).json(), `job ${jobId}`);
    return parseInput(JobSpecSchema, job.spec, `job ${jobId} spec`);
  }

  async datasetCommitment(datasetId: string): Promise<string> {
    const dataset = parseInput(
      DatasetResponseSchema,
      await (await this.#get(`/datasets/${datasetId}`)).json(),
      "dataset",
    );
    return dataset.commitment;
  }

  /** Downloads a global model and checks its bytes against the hash the instruction carries. */
  async model(cid: string, expectedHash: Bytes32): Promise<Float32Array> {
    const bytes = new Uint8Array(await (await this.#get(`/models/${cid}`)).arrayBuffer());
    const actual = `0x${createHash("sha256").update(bytes).digest("hex")}`;
    if (actual !== expectedHash) throw new ModelHashMismatchError(cid, expectedHash, actual);
    return bytesToWeights(bytes);
  }
}
