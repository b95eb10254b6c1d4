import { type Address, type Bytes32, MAX_BIGINT_ID } from "./ids.js";
import { type SignedModelUpdate, SignedModelUpdateSchema } from "./model-update.js";
import { parseInput } from "./parse.js";
import { signatureProblem } from "./signature.js";
import { storedTextProblem } from "./stored-text.js";

/** The fields of a signed update header, in `SignedModelUpdateSchema`'s order. */
const FIELDS = [
  "jobId",
  "round",
  "trainer",
  "datasetId",
  "numExamples",
  "updateHash",
  "metrics",
  "epsilonSpent",
  "delta",
  "nonce",
  "signature",
] as const;

const DECIMAL = /^(0|[1-9][0-9]*)$/;
const MAX_ID_DIGITS = MAX_BIGINT_ID.toString().length;
const ADDRESS = /^0x[0-9a-fA-F]{40}$/;
const BYTES32 = /^0x[0-9a-fA-F]{64}$/;
const MAX_ROUND = 2 ** 31 - 1;
const MAX_METRICS = 32;

/** An object as `JSON.parse` makes them (the only kind socket.io's decoder gives). */
function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null) return false;
  return Object.getPrototypeOf(value) === Object.prototype;
}

/** A decimal id `JobIdSchema`/`DatasetIdSchema` accept (at most 2^63 − 1, no leading zeros). */
function isBigintId(value: unknown): value is string {
  if (typeof value !== "string" || value.length > MAX_ID_DIGITS || !DECIMAL.test(value)) return false;
  return value.length < MAX_ID_DIGITS || BigInt(value) <= MAX_BIGINT_ID;
}

/** Metrics `UpdateMetricsSchema` accepts, copied as it copies them; undefined where it might not accept them. */
function plainMetrics(value: unknown): Record<string, number> | undefined {
  if (!isPlainObject(value)) return undefined;
  const names = Object.keys(value);
  if (names.length > MAX_METRICS) return undefined;
  const metrics: Record<string, number> = {};
  for (const name of names) {
    const metric = value[name];
    if (
      name.length < 1 ||
      name.length > 64 ||
      name === "__proto__" ||
      storedTextProblem(name) !== undefined ||
      typeof metric !== "number" ||
      !Number.isFinite(metric)
    ) {
      return undefined;
    }
    metrics[name] = metric;
  }
  return metrics;
}

/**
 * The fields of a header that plainly satisfies every rule of `SignedModelUpdateSchema`, as that schema outputs
 * them (addresses and 32-byte values in lower case, metrics copied); undefined for anything else.
 */
function plainHeader(input: unknown): SignedModelUpdate | undefined {
  if (!isPlainObject(input) || Object.keys(input).length !== FIELDS.length) return undefined;
  for (const field of FIELDS) if (!Object.hasOwn(input, field)) return undefined;
  const { jobId, round, trainer, datasetId, numExamples, updateHash, epsilonSpent, delta, nonce, signature } = input;
  if (!isBigintId(jobId) || !isBigintId(datasetId)) return undefined;
  if (typeof round !== "number" || !Number.isInteger(round) || round < 0 || round > MAX_ROUND) return undefined;
  if (typeof trainer !== "string" || !ADDRESS.test(trainer)) return undefined;
  if (
    typeof numExamples !== "number" ||
    !Number.isInteger(numExamples) ||
    numExamples <= 0 ||
    numExamples > Number.MAX_SAFE_INTEGER
  ) {
    return undefined;
  }
  if (typeof updateHash !== "string" || !BYTES32.test(updateHash)) return undefined;
  if (typeof nonce !== "string" || !BYTES32.test(nonce)) return undefined;
  if (epsilonSpent !== null && (typeof epsilonSpent !== "number" || !Number.isFinite(epsilonSpent) || epsilonSpent < 0))
    return undefined;
  if (typeof delta !== "number" || !(delta >= 0 && delta < 1)) return undefined;
  if (typeof signature !== "string" || signatureProblem(signature) !== undefined) return undefined;
  const metrics = plainMetrics(input.metrics);
  if (metrics === undefined) return undefined;
  return {
    jobId: jobId as SignedModelUpdate["jobId"],
    round,
    trainer: trainer.toLowerCase() as Address,
    datasetId: datasetId as SignedModelUpdate["datasetId"],
    numExamples,
    updateHash: updateHash.toLowerCase() as Bytes32,
    metrics,
    epsilonSpent,
    delta,
    nonce: nonce.toLowerCase() as Bytes32,
    signature,
  };
}

/**
 * `parseInput(SignedModelUpdateSchema, input, what)` without zod on the way of a well-formed header (the
 * coordinator parses one per update, thousands per round): a hand-written check of every rule of the schema
 * answers a header that plainly satisfies them all, with the value the schema would output; any other input goes
 * through the schema itself, so a refused header gets exactly the schema's `InvalidInputError`, every issue named
 * with its path.
 */
export function parseSignedModelUpdate(input: unknown, what: string): SignedModelUpdate {
  return plainHeader(input) ?? parseInput(SignedModelUpdateSchema, input, what);
}
