import type { Address, Bytes32, C2dRunRequest } from "@tributary/protocol";
import type { AllowedAlgorithm } from "./algorithms/catalogue.js";
import { C2dRefusalError } from "./c2d-refusal.js";
import type { RunLog } from "./run-log.js";

/** What a node checks a request against. */
export interface RequestTerms {
  readonly datasetId: string;
  readonly commitment: Bytes32;
  readonly allowed: readonly AllowedAlgorithm[];
  /** `any`: every signed requester; else only these (lower case). */
  readonly researchers: "any" | readonly Address[];
  readonly maxRequestTtlS: number;
  readonly log: RunLog;
}

/**
 * The owner's checks of a signed request, in this order, before its params are even parsed: the signature is the
 * named researcher's, the request is not expired and not valid for longer than the node allows, its nonce was not
 * used (it is taken now), the researcher is allowed, it names this dataset and these files, and its algorithm is on
 * the allowlist at the hash it names, and the params are the ones it signed. Returns the allowed algorithm.
 */
export function checkRunRequest(
  request: C2dRunRequest,
  signer: Address,
  receivedParamsHash: Bytes32,
  nowS: number,
  terms: RequestTerms,
): AllowedAlgorithm {
  if (signer !== request.researcher) {
    throw new C2dRefusalError("C2D_BAD_SIGNATURE", `the request is signed by ${signer}, not by ${request.researcher}`, {
      signer,
      researcher: request.researcher,
    });
  }
  if (request.expiresAt <= nowS) {
    throw new C2dRefusalError("C2D_REQUEST_EXPIRED", `the request expired at ${request.expiresAt} (now ${nowS})`, {
      expiresAt: request.expiresAt,
      now: nowS,
    });
  }
  if (request.expiresAt > nowS + terms.maxRequestTtlS) {
    throw new C2dRefusalError(
      "C2D_REQUEST_TOO_LONG",
      `the request is valid until ${request.expiresAt}, more than the ${terms.maxRequestTtlS} s this node allows`,
      { expiresAt: request.expiresAt, maxRequestTtlS: terms.maxRequestTtlS },
    );
  }
  if (!terms.log.takeNonce(request.researcher, request.nonce, request.expiresAt, nowS)) {
    throw new C2dRefusalError("C2D_NONCE_REPLAYED", `nonce ${request.nonce} was already used: a request runs once`, {
      nonce: request.nonce,
    });
  }
  if (terms.researchers !== "any" && !terms.researchers.includes(request.researcher)) {
    throw new C2dRefusalError(
      "C2D_RESEARCHER_NOT_ALLOWED",
      `${request.researcher} is not among the researchers this dataset's owner allows`,
      { researcher: request.researcher },
    );
  }
  if (request.datasetId !== terms.datasetId || request.datasetCommitment !== terms.commitment) {
    throw new C2dRefusalError(
      "C2D_DATASET_MISMATCH",
      `this node serves dataset ${terms.datasetId} with commitment ${terms.commitment}; the request names dataset ${request.datasetId} with ${request.datasetCommitment}`,
      { datasetId: terms.datasetId, commitment: terms.commitment },
    );
  }
  const allowed = terms.allowed.find((entry) => entry.algorithm.name === request.algorithm);
  if (allowed === undefined || allowed.hash !== request.algorithmHash) {
    const list = terms.allowed.map((entry) => `${entry.algorithm.name}@${entry.hash}`).join(", ");
    throw new C2dRefusalError(
      "C2D_ALGORITHM_NOT_ALLOWED",
      allowed === undefined
        ? `${request.algorithm} is not on this dataset's allowlist (${list})`
        : `${request.algorithm} at hash ${request.algorithmHash} is not on this dataset's allowlist, which holds it at ${allowed.hash} (v${allowed.algorithm.version})`,
      { algorithm: request.algorithm, algorithmHash: request.algorithmHash, allowed: list },
    );
  }
  if (receivedParamsHash !== request.paramsHash) {
    throw new C2dRefusalError(
      "C2D_PARAMS_HASH_MISMATCH",
      `the params hash to ${receivedParamsHash}, the signed request names ${request.paramsHash}`,
      { received: receivedParamsHash, signed: request.paramsHash },
    );
  }
  return allowed;
}
