import { createHash } from "node:crypto";
import { CoordinatorHttpError, CoordinatorUnreachableError, coordinatorErrorMessage } from "@tributary/auditor";
import { type MessageSigner, parseInput, signIn, TributaryError } from "@tributary/protocol";
import type { z } from "zod";

/** Long enough for a model or validation set of a few hundred MB on a slow link. */
const TIMEOUT_MS = 300_000;

/** The coordinator took longer than allowed to show something it learns from the chain (e.g. adopt a job). */
export class CoordinatorWaitTimeoutError extends TributaryError {
  constructor(what: string, timeoutMs: number) {
    super("COORDINATOR_TIMEOUT", `timed out after ${timeoutMs / 1000}s waiting for ${what}`, {
      details: { timeoutMs },
    });
  }
}

/** A blob downloaded from the coordinator, with the SHA-256 this side computed (never the coordinator's header). */
export interface DownloadedBlob {
  readonly bytes: Uint8Array;
  /** `0x` + 64 hex digits. */
  readonly sha256: string;
}

/** Times a GET is sent again after the connection was reset under it. */
const RESET_RETRIES = 2;

/** Errors of a socket the server reset or closed under the request (undici's and the OS's codes). */
const RESET_CODES: ReadonlySet<unknown> = new Set(["ECONNRESET", "UND_ERR_SOCKET"]);

/** Whether `error` (a failed fetch) or one of its causes is a reset or closed connection. */
function isConnectionReset(error: unknown): boolean {
  for (let cause = error; cause instanceof Error; cause = cause.cause) {
    if (RESET_CODES.has((cause as { code?: unknown }).code)) return true;
  }
  return false;
}

/** Signs in at `base` as `signer`: the session's bearer token. */
async function sessionToken(base: string, signer: MessageSigner, chainId: number): Promise<string> {
  try {
    return (await signIn(base, signer, chainId)).token;
  } catch (error) {
    if (error instanceof TributaryError) throw error;
    throw new CoordinatorUnreachableError(`${base}/auth/siwe`, error);
  }
}

/**
 * The coordinator's REST API as one caller sees it: JSON in, answers parsed with a zod schema (a boundary), errors as
 * `CoordinatorHttpError` (method, URL, status and the coordinator's message) or `CoordinatorUnreachableError`. With
 * a session (`CoordinatorClient.signIn`) every request carries its bearer token, and when the coordinator answers
 * 401 (the session expired: `sessionTtlS`, an hour by default, shorter than a long job a client follows) the client
 * signs in again with the same signer and sends the request once more.
 */
export class CoordinatorClient {
  readonly url: string;
  #token: string | undefined;
  readonly #renew: (() => Promise<string>) | undefined;

  constructor(url: string, token?: string, renew?: () => Promise<string>) {
    this.url = url.replace(/\/+$/, "");
    this.#token = token;
    this.#renew = renew;
  }

  /** Signs in with the coordinator at `url` (EIP-4361, `chainId`) as `signer`: a client that acts as that account. */
  static async signIn(url: string, signer: MessageSigner, chainId: number): Promise<CoordinatorClient> {
    const base = url.replace(/\/+$/, "");
    const renew = () => sessionToken(base, signer, chainId);
    return new CoordinatorClient(base, await renew(), renew);
  }

  /** The bearer token of this client's session, for helpers that take one (`coordinatorBlobFetcher`). */
  get token(): string | undefined {
    return this.#token;
  }

  async #fetch(
    method: "GET" | "POST",
    path: string,
    init: RequestInit = {},
    attempt = 0,
    renewed = false,
  ): Promise<Response> {
    const url = `${this.url}${path}`;
    let response: Response;
    try {
      response = await fetch(url, {
        ...init,
        method,
        signal: AbortSignal.timeout(TIMEOUT_MS),
        headers: {
          ...(init.headers as Record<string, string> | undefined),
          ...(this.#token === undefined ? {} : { authorization: `Bearer ${this.#token}` }),
        },
      });
    } catch (error) {
      // A GET is safe to send again on a reset keep-alive socket (the server closed it as the request went out).
      if (method === "GET" && attempt < RESET_RETRIES && isConnectionReset(error))
        return this.#fetch(method, path, init, attempt + 1, renewed);
      throw new CoordinatorUnreachableError(url, error);
    }
    if (response.status === 401 && this.#renew !== undefined && !renewed) {
      // Refused before anything happened (the guard runs first), so sending it again does nothing twice.
      await response.body?.cancel();
      this.#token = await this.#renew();
      return this.#fetch(method, path, init, attempt, true);
    }
    if (!response.ok) {
      throw new CoordinatorHttpError(url, response.status, await coordinatorErrorMessage(response), method);
    }
    return response;
  }

  async #json<T>(response: Response, schema: z.ZodType<T>, what: string): Promise<T> {
    const text = await response.text();
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch (error) {
      throw new TributaryError("INVALID_INPUT", `the coordinator's ${what} at ${response.url} is not JSON`, {
        cause: error,
      });
    }
    return parseInput(schema, body, what);
  }

  /** `GET path`, its JSON parsed with `schema`; `what` names it in errors (e.g. `job 3`). */
  async get<T>(path: string, schema: z.ZodType<T>, what: string): Promise<T> {
    return this.#json(await this.#fetch("GET", path), schema, what);
  }

  /** `POST path` with a JSON body; the answer parsed with `schema`. */
  async postJson<T>(path: string, body: unknown, schema: z.ZodType<T>, what: string): Promise<T> {
    const response = await this.#fetch("POST", path, {
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    return this.#json(response, schema, what);
  }

  /** `POST path` with raw bytes (application/octet-stream); the answer parsed with `schema`. */
  async postBytes<T>(path: string, bytes: Uint8Array, schema: z.ZodType<T>, what: string): Promise<T> {
    const response = await this.#fetch("POST", path, {
      headers: { "content-type": "application/octet-stream" },
      body: bytes,
    });
    return this.#json(response, schema, what);
  }

  /** `GET path` as raw bytes, hashed here with SHA-256. */
  async download(path: string): Promise<DownloadedBlob> {
    const bytes = new Uint8Array(await (await this.#fetch("GET", path)).arrayBuffer());
    return { bytes, sha256: `0x${createHash("sha256").update(bytes).digest("hex")}` };
  }

  /**
   * `GET path` until it answers (a resource the coordinator learns from the chain, such as an adopted job): a 404
   * means not yet, any other error is thrown. `CoordinatorWaitTimeoutError` naming `what` after `timeoutMs`.
   */
  async waitFor<T>(path: string, schema: z.ZodType<T>, what: string, timeoutMs: number): Promise<T> {
    const started = Date.now();
    for (;;) {
      try {
        return await this.get(path, schema, what);
      } catch (error) {
        if (!(error instanceof CoordinatorHttpError && error.status === 404)) throw error;
      }
      if (Date.now() - started > timeoutMs) throw new CoordinatorWaitTimeoutError(what, timeoutMs);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}
