import { mkdir, open, readFile } from "node:fs/promises";
import path from "node:path";
import {
  AddressSchema,
  Bytes32Schema,
  C2dAttestationSchema,
  C2dRunRequestSchema,
  parseInput,
  TributaryError,
} from "@tributary/protocol";
import { z } from "zod";

/** One line of a node's run log: a request and what became of it. */
export const C2dRunLogEntrySchema = z.strictObject({
  runId: z.string().min(1),
  /** When the node decided, ISO 8601. */
  at: z.string(),
  status: z.enum(["completed", "refused"]),
  /** The signed request, when the body had one (a body that did not parse has none). */
  request: C2dRunRequestSchema.nullable(),
  /** Who signed it, when the signature recovered (may differ from `request.researcher`: then refused). */
  signer: AddressSchema.nullable(),
  requestDigest: Bytes32Schema.nullable(),
  /** SHA-256 of the params' canonical JSON as received, when they were. */
  paramsHash: Bytes32Schema.nullable(),
  refusal: z.strictObject({ code: z.string(), message: z.string() }).nullable(),
  /** What the run charged (absent: nothing was), and the dataset's spent ε after it. */
  privacy: z.strictObject({ epsilonCharged: z.number(), delta: z.number(), epsilonSpent: z.number() }).nullable(),
  /** SHA-256 of the released output's canonical JSON. */
  outputHash: Bytes32Schema.nullable(),
  attestation: C2dAttestationSchema.nullable(),
});
export type C2dRunLogEntry = z.infer<typeof C2dRunLogEntrySchema>;

/** Where a node keeps dataset `datasetId`'s run log in its state directory. */
export function c2dRunLogFile(stateDir: string, datasetId: string): string {
  return path.join(stateDir, `c2d-runs-${datasetId}.jsonl`);
}

/**
 * A node's append-only run log (JSON Lines): one line per request it answered, accepted or refused, written and
 * synced to disk before the answer leaves. It also remembers which request nonces were used, so a signed request
 * runs at most once, across restarts too (until it expires, after which the node refuses it anyway).
 */
export class RunLog {
  readonly #used = new Map<string, number>();

  private constructor(readonly file: string) {}

  /** Opens (or starts) the log, remembering the nonces of requests not yet expired at `nowS` (Unix seconds). */
  static async open(file: string, nowS: number): Promise<RunLog> {
    await mkdir(path.dirname(file), { recursive: true });
    const log = new RunLog(file);
    for (const entry of await RunLog.read(file)) {
      const request = entry.request;
      if (request !== null && entry.signer === request.researcher && request.expiresAt >= nowS) {
        log.#used.set(nonceKey(request.researcher, request.nonce), request.expiresAt);
      }
    }
    return log;
  }

  /** Every entry of the log at `file` (none when there is no file); a line that is not an entry is an error. */
  static async read(file: string): Promise<C2dRunLogEntry[]> {
    const text = await readFile(file, "utf8").catch((error: NodeJS.ErrnoException) => {
      if (error.code === "ENOENT") return "";
      throw error;
    });
    return text
      .split("\n")
      .filter((line) => line.trim() !== "")
      .map((line, index) => {
        try {
          return parseInput(C2dRunLogEntrySchema, JSON.parse(line), `${path.basename(file)} line ${index + 1}`);
        } catch (error) {
          if (error instanceof TributaryError) throw error;
          throw new TributaryError("INVALID_INPUT", `${file} line ${index + 1} is not JSON`, { cause: error });
        }
      });
  }

  /** Takes the request's nonce: false when it was taken before (a replay). Forgets expired ones. */
  takeNonce(researcher: string, nonce: string, expiresAt: number, nowS: number): boolean {
    for (const [key, expiry] of this.#used) if (expiry < nowS) this.#used.delete(key);
    const key = nonceKey(researcher, nonce);
    if (this.#used.has(key)) return false;
    this.#used.set(key, expiresAt);
    return true;
  }

  /** Appends one entry and syncs it to disk. */
  async append(entry: C2dRunLogEntry): Promise<void> {
    const handle = await open(this.file, "a");
    try {
      await handle.write(`${JSON.stringify(entry)}\n`);
      await handle.datasync();
    } finally {
      await handle.close();
    }
  }
}

function nonceKey(researcher: string, nonce: string): string {
  return `${researcher.toLowerCase()}:${nonce.toLowerCase()}`;
}
