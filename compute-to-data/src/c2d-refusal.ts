import { type ErrorDetails, TributaryError } from "@tributary/protocol";

/**
 * Why a node refuses a run, or a researcher's client refuses a node's answer. Each code is stable; the node answers
 * it with the HTTP status `C2D_REFUSAL_STATUS` gives.
 */
export type C2dRefusalCode =
  | "C2D_BAD_SIGNATURE"
  | "C2D_REQUEST_EXPIRED"
  | "C2D_REQUEST_TOO_LONG"
  | "C2D_NONCE_REPLAYED"
  | "C2D_RESEARCHER_NOT_ALLOWED"
  | "C2D_DATASET_MISMATCH"
  | "C2D_ALGORITHM_NOT_ALLOWED"
  | "C2D_PARAMS_HASH_MISMATCH"
  | "C2D_EPSILON_ABOVE_CAP"
  | "C2D_OUTPUT_POLICY"
  | "C2D_ANSWER_MISMATCH"
  | "C2D_ATTESTATION_REJECTED";

/** The HTTP status a node answers each refusal with. */
export const C2D_REFUSAL_STATUS: Readonly<Record<string, number>> = {
  INVALID_INPUT: 400,
  C2D_BAD_SIGNATURE: 401,
  C2D_REQUEST_EXPIRED: 400,
  C2D_REQUEST_TOO_LONG: 400,
  C2D_DATASET_MISMATCH: 400,
  C2D_PARAMS_HASH_MISMATCH: 400,
  C2D_RESEARCHER_NOT_ALLOWED: 403,
  C2D_ALGORITHM_NOT_ALLOWED: 403,
  C2D_EPSILON_ABOVE_CAP: 403,
  PRIVACY_BUDGET_EXCEEDED: 403,
  C2D_NONCE_REPLAYED: 409,
  C2D_OUTPUT_POLICY: 422,
};

export class C2dRefusalError extends TributaryError {
  constructor(code: C2dRefusalCode, message: string, details: ErrorDetails = {}) {
    super(code, message, { details });
  }
}
