import {
  type Address,
  AddressSchema,
  type JobId,
  JobIdSchema,
  type JobLedger,
  JobLedgerSchema,
  type PayoutProof,
  PayoutProofSchema,
  parseInput,
  TributaryError,
} from "@tributary/protocol";
import { CoordinatorHttpError, CoordinatorUnreachableError } from "./ledger-errors.js";

/** Long enough for a ledger of many rounds or a model blob of a few hundred MB on a slow link. */
const TIMEOUT_MS = 120_000;

/** `{coordinatorUrl}/path` without a doubled slash, whether or not the URL ends with one. */
function endpoint(coordinatorUrl: string, path: string): string {
  return `${coordinatorUrl.replace(/\/+$/, "")}${path}`;
}

async function get(url: string, token?: string): Promise<Response> {
  try {
    return await fetch(url, {
      signal: AbortSignal.timeout(TIMEOUT_MS),
      ...(token === undefined ? {} : { headers: { authorization: `Bearer ${token}` } }),
    });
  } catch (error) {
    throw new CoordinatorUnreachableError(url, error);
  }
}

/** The message of the coordinator's error body `{ error: { message } }`, else the body text (shortened). */
export async function coordinatorErrorMessage(response: Response): Promise<string> {
  const text = await response.text().catch(() => "");
  try {
    const body = JSON.parse(text) as { error?: { message?: unknown }; message?: unknown };
    const message = body.error?.message ?? body.message;
    if (typeof message === "string" && message.length > 0) return message;
  } catch {
    // Not JSON: the text itself is the best message there is.
  }
  const trimmed = text.trim();
  if (trimmed.length === 0) return response.statusText || "no body";
  return trimmed.length > 300 ? `${trimmed.slice(0, 300)}…` : trimmed;
}

async function getJson(url: string, what: string): Promise<unknown> {
  const response = await get(url);
  if (!response.ok) throw new CoordinatorHttpError(url, response.status, await coordinatorErrorMessage(response));
  const text = await response.text();
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new TributaryError("INVALID_INPUT", `invalid ${what}: the coordinator's answer at ${url} is not JSON`, {
      details: { url },
      cause: error,
    });
  }
}

/**
 * Fetches `GET /ledger/jobs/:id` and parses it with `JobLedgerSchema` (an invalid field is named by its path, e.g.
 * `ledger.rounds[1].leaves[0].score`). Throws `CoordinatorHttpError` (status and the coordinator's message) for an
 * HTTP error, `CoordinatorUnreachableError` when nothing answers, and `InvalidInputError` for a ledger that does
 * not parse or that describes another job.
 */
export async function fetchLedger(coordinatorUrl: string, jobId: string | bigint): Promise<JobLedger> {
  const id = parseInput(JobIdSchema, String(jobId), "job id");
  const ledger = parseInput(
    JobLedgerSchema,
    await getJson(endpoint(coordinatorUrl, `/ledger/jobs/${id}`), "ledger"),
    "ledger",
  );
  if (ledger.jobId !== id) {
    throw new TributaryError("INVALID_INPUT", `invalid ledger: ledger.jobId is ${ledger.jobId}, asked for job ${id}`, {
      details: { asked: id, got: ledger.jobId },
    });
  }
  return ledger;
}

/**
 * Fetches `GET /ledger/jobs/:id/proof/:trainer` and parses it with `PayoutProofSchema`; the proof must be for the
 * job and the trainer asked for. Errors as `fetchLedger`; a trainer without a payout is the coordinator's 404.
 */
export async function fetchPayoutProof(
  coordinatorUrl: string,
  jobId: string | bigint,
  trainer: string,
): Promise<PayoutProof> {
  const id = parseInput(JobIdSchema, String(jobId), "job id");
  const address: Address = parseInput(AddressSchema, trainer, "trainer address");
  const url = endpoint(coordinatorUrl, `/ledger/jobs/${id}/proof/${address}`);
  const proof = parseInput(PayoutProofSchema, await getJson(url, "payout proof"), "payout proof");
  if (proof.jobId !== id || proof.trainer !== address) {
    throw new TributaryError(
      "INVALID_INPUT",
      `invalid payout proof: it is for job ${proof.jobId} and trainer ${proof.trainer}, asked for job ${id} and ${address}`,
      { details: { jobId: proof.jobId, trainer: proof.trainer } },
    );
  }
  return proof;
}

/**
 * Fetches `GET /ledger/jobs/:id/blobs/:cid` (the raw bytes of an update or model named in the job's ledger).
 * Returns `undefined` when the blob is not available (404/410, or the coordinator unreachable); `verifyLedger`
 * reports that as a disagreement naming the blob. Any other HTTP error is thrown (and reported the same way).
 * Update and model blobs are readable only by the job's researcher, its named auditors and (updates) their
 * trainers: pass the bearer `token` of such a session (`signIn` from protocol).
 */
export async function fetchLedgerBlob(
  coordinatorUrl: string,
  jobId: JobId | string,
  cid: string,
  token?: string,
): Promise<Uint8Array | undefined> {
  const url = endpoint(coordinatorUrl, `/ledger/jobs/${jobId}/blobs/${encodeURIComponent(cid)}`);
  let response: Response;
  try {
    response = await get(url, token);
  } catch (error) {
    if (error instanceof CoordinatorUnreachableError) return undefined;
    throw error;
  }
  if (response.status === 404 || response.status === 410) {
    await response.body?.cancel();
    return undefined;
  }
  if (!response.ok) throw new CoordinatorHttpError(url, response.status, await coordinatorErrorMessage(response));
  return new Uint8Array(await response.arrayBuffer());
}

/** `fetchBlob` for `verifyLedger`: the job's blobs from the coordinator that served the ledger, as `token`'s holder. */
export function coordinatorBlobFetcher(
  coordinatorUrl: string,
  jobId: JobId | string,
  token?: string,
): (cid: string) => Promise<Uint8Array | undefined> {
  return (cid) => fetchLedgerBlob(coordinatorUrl, jobId, cid, token);
}

/**
 * Fetches `GET /models/:cid` (any blob the caller may read: a job spec, a validation set, a global model) as
 * `token`'s holder. Throws `CoordinatorHttpError` with the coordinator's status and message (401 without a
 * session, 403 when the caller may not read it, 404 when there is no such blob) and `CoordinatorUnreachableError`
 * when nothing answers.
 */
export async function fetchCoordinatorBlob(coordinatorUrl: string, cid: string, token?: string): Promise<Uint8Array> {
  const url = endpoint(coordinatorUrl, `/models/${encodeURIComponent(cid)}`);
  const response = await get(url, token);
  if (!response.ok) throw new CoordinatorHttpError(url, response.status, await coordinatorErrorMessage(response));
  return new Uint8Array(await response.arrayBuffer());
}
