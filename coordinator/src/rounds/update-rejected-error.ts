import { TributaryError } from "@tributary/protocol";

/** Why an update never reaches aggregation. The trainer gets the code and message back; the log gets both. */
export type UpdateRejection =
  | "trainer-mismatch"
  | "bad-signature"
  | "job-not-running"
  | "not-selected"
  | "nonce-mismatch"
  | "duplicate"
  | "round-closed"
  | "wrong-dataset"
  | "not-attested"
  | "too-many-examples"
  | "hash-mismatch"
  | "invalid-update"
  | "secagg-stage";

export class UpdateRejectedError extends TributaryError {
  readonly reason: UpdateRejection;

  constructor(reason: UpdateRejection, message: string, details: Record<string, unknown> = {}) {
    super("UPDATE_REJECTED", `update rejected (${reason}): ${message}`, { details: { reason, ...details } });
    this.reason = reason;
  }
}
