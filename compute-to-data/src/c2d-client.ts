import { randomBytes, timingSafeEqual } from "node:crypto";
import type { AttestationClaims, AttestationVerifier } from "@tributary/enclave-compute";
import {
  type Address,
  type Bytes32,
  C2dErrorSchema,
  type C2dNodeInfo,
  C2dNodeInfoSchema,
  type C2dRunRequest,
  type C2dRunResult,
  C2dRunResultSchema,
  c2dRequestDigest,
  type DatasetId,
  parseInput,
  signC2dRunRequest,
  TributaryError,
  type TypedDataSigner,
} from "@tributary/protocol";
import { algorithmHash, outputHash, paramsHash } from "./algorithms/c2d-algorithm.js";
import { findAlgorithm } from "./algorithms/catalogue.js";
import { C2dRefusalError } from "./c2d-refusal.js";
import { c2dRunBinding } from "./run-binding.js";

/** A node's refusal, as it answered it. */
export class C2dNodeRefusedError extends TributaryError {
  constructor(
    readonly status: number,
    code: string,
    message: string,
    details: Record<string, unknown> = {},
  ) {
    super(code, `the node refused (${status} ${code}): ${message}`, { details: { ...details, status } });
  }
}

/** How the researcher's client accepts a run's attestation. */
export interface AttestationAcceptance {
  /** One verifier per TEE kind the researcher accepts (the simulator's only with `allowSimulated`). */
  readonly verifiers: readonly AttestationVerifier[];
  /** Accept the simulator's documents (development only: no hardware stands behind them). */
  readonly allowSimulated: boolean;
  /** Measurements (lower-case hex) the enclave must have; empty: any, reported. */
  readonly measurements: readonly string[];
  /** Unix ms, for the verifiers' validity and freshness checks. */
  readonly now: number;
}

export interface C2dRunOutcome {
  readonly info: C2dNodeInfo;
  readonly request: C2dRunRequest;
  readonly result: C2dRunResult;
  /** The verified attestation's claims. */
  readonly claims: AttestationClaims;
}

async function answer(response: Response): Promise<unknown> {
  const body: unknown = await response.json().catch(() => undefined);
  if (response.ok) return body;
  const refusal = C2dErrorSchema.safeParse(body);
  if (!refusal.success) throw new C2dNodeRefusedError(response.status, "C2D_NODE_ERROR", response.statusText);
  const { code, message, details } = refusal.data.error;
  throw new C2dNodeRefusedError(response.status, code, message, details);
}

/** `GET /v1/node`. */
export async function fetchNodeInfo(node: string): Promise<C2dNodeInfo> {
  const response = await fetch(new URL("/v1/node", node));
  return parseInput(C2dNodeInfoSchema, await answer(response), "node info");
}

function same(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * Checks that a run's answer is what the researcher asked for and that the enclave attested exactly it: the
 * algorithm and params hashes are the researcher's own, the output hashes to `outputHash`, the document verifies
 * under the verifier of its kind (the simulator's only when allowed), binds SHA-256(tag ‖ algorithm hash ‖ params
 * hash ‖ output hash) as its user data and answers the request's digest as its nonce, and its measurement is
 * allowed. Returns the claims; throws `C2dRefusalError` naming the failed check.
 */
export async function verifyRunResult(
  request: C2dRunRequest,
  result: C2dRunResult,
  acceptance: AttestationAcceptance,
): Promise<AttestationClaims> {
  const mismatch = (message: string) => new C2dRefusalError("C2D_ANSWER_MISMATCH", message);
  if (result.algorithmHash !== request.algorithmHash || result.paramsHash !== request.paramsHash) {
    throw mismatch("the answer names another algorithm or params than the request");
  }
  if (outputHash(result.output) !== result.outputHash) throw mismatch("the output does not hash to its outputHash");
  const binding = c2dRunBinding(result);
  const nonce = Buffer.from(c2dRequestDigest(request).slice(2), "hex");
  const rejected = (message: string) => new C2dRefusalError("C2D_ATTESTATION_REJECTED", message);
  const { kind } = result.attestation;
  if (kind === "simulated" && !acceptance.allowSimulated) {
    throw rejected(
      "the run was attested by the SIMULATOR (no TEE): accept it only for development, with --allow-simulated",
    );
  }
  const verifier = acceptance.verifiers.find((candidate) => candidate.kind === kind);
  if (verifier === undefined) throw rejected(`no verifier for ${kind} attestations is configured`);
  let claims: AttestationClaims;
  try {
    claims = await verifier.verify(Buffer.from(result.attestation.document, "base64"), acceptance.now);
  } catch (error) {
    throw rejected(`the ${kind} attestation does not verify: ${(error as Error).message}`);
  }
  if (claims.kind !== kind) throw rejected(`the document is ${claims.kind}, the answer says ${kind}`);
  if (!same(claims.userData, binding)) {
    throw rejected("the attestation binds another algorithm, params or output than the answer's");
  }
  if (!same(claims.nonce, nonce)) throw rejected("the attestation answers another request");
  if (acceptance.measurements.length > 0 && !acceptance.measurements.includes(claims.measurement)) {
    throw rejected(`measurement ${claims.measurement} is not among those allowed`);
  }
  return claims;
}

export interface C2dRunInput {
  /** The node's base URL. */
  readonly node: string;
  readonly signer: TypedDataSigner & { readonly address: string };
  readonly datasetId: DatasetId;
  readonly algorithm: string;
  /** The params as written (their canonical JSON is hashed and signed). */
  readonly params: Record<string, unknown>;
  /** How long the signed request stays valid, in seconds. */
  readonly expiresInS: number;
  readonly acceptance: Omit<AttestationAcceptance, "now">;
  /** Unix ms (default now). */
  readonly now?: () => number;
}

/**
 * The researcher's side of a run: reads the node's terms, hashes the algorithm from this client's own copy of it
 * (so the node must run exactly that algorithm) and the params, signs the request (EIP-712) with a fresh nonce,
 * sends it, and verifies the answer's attestation (`verifyRunResult`).
 */
export async function requestC2dRun(input: C2dRunInput): Promise<C2dRunOutcome> {
  const algorithm = findAlgorithm(input.algorithm);
  if (algorithm === undefined) {
    throw new TributaryError("INVALID_INPUT", `no algorithm ${input.algorithm} in this version of Tributary`);
  }
  const now = input.now ?? Date.now;
  const info = await fetchNodeInfo(input.node);
  if (info.datasetId !== input.datasetId) {
    throw new C2dRefusalError(
      "C2D_DATASET_MISMATCH",
      `the node serves dataset ${info.datasetId}, not ${input.datasetId}`,
    );
  }
  const request: C2dRunRequest = {
    datasetId: input.datasetId,
    datasetCommitment: info.datasetCommitment,
    algorithm: algorithm.name,
    algorithmHash: algorithmHash(algorithm),
    paramsHash: paramsHash(input.params),
    researcher: input.signer.address.toLowerCase() as Address,
    nonce: `0x${randomBytes(32).toString("hex")}` as Bytes32,
    expiresAt: Math.floor(now() / 1000) + input.expiresInS,
  };
  const signature = await signC2dRunRequest(input.signer, request);
  const response = await fetch(new URL("/v1/runs", input.node), {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ request, signature, params: input.params }),
  });
  const result = parseInput(C2dRunResultSchema, await answer(response), "run result");
  const claims = await verifyRunResult(request, result, { ...input.acceptance, now: now() });
  return { info, request, result, claims };
}
