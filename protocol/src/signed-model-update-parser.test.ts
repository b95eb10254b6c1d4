import { describe, expect, it, vi } from "vitest";
import { SignedModelUpdateSchema } from "./model-update.js";
import { InvalidInputError, parseInput } from "./parse.js";
import { parseSignedModelUpdate } from "./signed-model-update-parser.js";

/** Order of the secp256k1 group (SEC 2, section 2.4.1). */
const N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
const word = (value: bigint) => value.toString(16).padStart(64, "0");

const VALID = {
  jobId: "12",
  round: 3,
  trainer: "0xAbCdEf0123456789aBcDeF0123456789AbCdEf01",
  datasetId: "9223372036854775807",
  numExamples: 640,
  updateHash: `0x${"Cd".repeat(32)}`,
  metrics: { loss: 0.25, accuracy: 1, "top-5": 0 },
  epsilonSpent: 1.5,
  delta: 1e-5,
  nonce: `0x${"7F".repeat(32)}`,
  signature: `0x${word(5n)}${word(N / 2n)}1c`,
};

/** The schema's answer: the parsed value, or the issues of its `InvalidInputError`. */
function reference(input: unknown): unknown {
  try {
    return { value: parseInput(SignedModelUpdateSchema, input, "update header") };
  } catch (error) {
    if (error instanceof InvalidInputError) return { message: error.message, issues: error.issues };
    throw error;
  }
}

function parsed(input: unknown): unknown {
  try {
    return { value: parseSignedModelUpdate(input, "update header") };
  } catch (error) {
    if (error instanceof InvalidInputError) return { message: error.message, issues: error.issues };
    throw error;
  }
}

/** Headers the schema accepts: each differs from VALID in one field, at the edges of its rules. */
const ACCEPTED: [string, Record<string, unknown>][] = [
  ["the plain header", {}],
  ["job id 0 and the largest dataset id", { jobId: "0" }],
  ["round 0", { round: 0 }],
  ["the largest round", { round: 2 ** 31 - 1 }],
  ["the largest numExamples", { numExamples: Number.MAX_SAFE_INTEGER }],
  ["one example", { numExamples: 1 }],
  ["ε null (no differential privacy)", { epsilonSpent: null }],
  ["ε 0", { epsilonSpent: 0 }],
  ["δ 0", { delta: 0 }],
  ["δ just below 1", { delta: 1 - 2 ** -53 }],
  ["no metrics", { metrics: {} }],
  ["32 metrics", { metrics: Object.fromEntries(Array.from({ length: 32 }, (_, i) => [`m${i}`, i])) }],
  ["a 64-character metric name", { metrics: { ["n".repeat(64)]: -1.5 } }],
  ["a metric named by digits", { metrics: { "2": 1, "1": 2, b: 3 } }],
  ["v = 27", { signature: `0x${word(N - 1n)}${word(1n)}1b` }],
  ["lower-case addresses and hashes", { trainer: VALID.trainer.toLowerCase(), nonce: `0x${"ab".repeat(32)}` }],
];

/** Headers the schema refuses: each breaks one rule (or several). */
const REFUSED: [string, unknown][] = [
  ["not an object", "header"],
  ["null", null],
  ["an array", [VALID]],
  ["a field missing", { ...VALID, nonce: undefined }],
  ["an extra field", { ...VALID, extra: 1 }],
  ["the job id with a leading zero", { ...VALID, jobId: "012" }],
  ["the job id negative", { ...VALID, jobId: "-1" }],
  ["the job id as a number", { ...VALID, jobId: 12 }],
  ["the job id past 2^63 − 1", { ...VALID, jobId: "9223372036854775808" }],
  ["the dataset id 20 digits long", { ...VALID, datasetId: "10000000000000000000" }],
  ["the dataset id a megabyte of digits", { ...VALID, datasetId: "9".repeat(1 << 20) }],
  ["round fractional", { ...VALID, round: 1.5 }],
  ["round negative", { ...VALID, round: -1 }],
  ["round past 2^31 − 1", { ...VALID, round: 2 ** 31 }],
  ["round as a string", { ...VALID, round: "3" }],
  ["a 19-byte trainer", { ...VALID, trainer: `0x${"ab".repeat(19)}` }],
  ["a trainer without 0x", { ...VALID, trainer: "ab".repeat(20) }],
  ["numExamples 0", { ...VALID, numExamples: 0 }],
  ["numExamples past 2^53 − 1", { ...VALID, numExamples: 2 ** 53 }],
  ["numExamples NaN", { ...VALID, numExamples: Number.NaN }],
  ["a short updateHash", { ...VALID, updateHash: `0x${"cd".repeat(31)}` }],
  ["a non-hex nonce", { ...VALID, nonce: `0x${"zz".repeat(32)}` }],
  ["ε negative", { ...VALID, epsilonSpent: -0.1 }],
  ["ε infinite", { ...VALID, epsilonSpent: Number.POSITIVE_INFINITY }],
  ["ε as a string", { ...VALID, epsilonSpent: "1" }],
  ["δ 1", { ...VALID, delta: 1 }],
  ["δ negative", { ...VALID, delta: -1e-9 }],
  ["δ NaN", { ...VALID, delta: Number.NaN }],
  ["δ null", { ...VALID, delta: null }],
  ["33 metrics", { ...VALID, metrics: Object.fromEntries(Array.from({ length: 33 }, (_, i) => [`m${i}`, i])) }],
  ["a metric not finite", { ...VALID, metrics: { loss: Number.POSITIVE_INFINITY } }],
  ["a metric as a string", { ...VALID, metrics: { loss: "0.1" } }],
  ["a metric with an empty name", { ...VALID, metrics: { "": 1 } }],
  ["a 65-character metric name", { ...VALID, metrics: { ["n".repeat(65)]: 1 } }],
  ["a metric name with NUL", { ...VALID, metrics: { "a\u0000b": 1 } }],
  ["a metric name with a lone surrogate", { ...VALID, metrics: { "a\ud800": 1 } }],
  ["metrics null", { ...VALID, metrics: null }],
  ["metrics an array", { ...VALID, metrics: [1, 2] }],
  ["a high-s signature", { ...VALID, signature: `0x${word(5n)}${word(N / 2n + 1n)}1c` }],
  ["r = 0", { ...VALID, signature: `0x${word(0n)}${word(1n)}1b` }],
  ["v = 1", { ...VALID, signature: `0x${word(5n)}${word(1n)}01` }],
  ["a 64-byte signature", { ...VALID, signature: `0x${word(5n)}${word(1n)}` }],
  ["several problems at once", { ...VALID, round: -1, trainer: "me", delta: 2, signature: "0x" }],
];

describe("parseSignedModelUpdate", () => {
  it.each(ACCEPTED)("answers what SignedModelUpdateSchema answers for a valid header: %s", (_, change) => {
    const input = { ...VALID, ...change };
    const answer = parsed(input);
    expect(answer).toStrictEqual(reference(input));
    expect(answer).toHaveProperty("value");
    // The same fields in the same order, metrics included.
    expect(JSON.stringify(answer)).toBe(JSON.stringify(reference(input)));
  });

  it.each(REFUSED)("refuses with SignedModelUpdateSchema's issues: %s", (_, input) => {
    const answer = parsed(input);
    expect(answer).toStrictEqual(reference(input));
    expect(answer).toHaveProperty("issues");
  });

  it("refuses an object that is not plain JSON the way the schema does", () => {
    const withPrototype = Object.assign(Object.create({ inherited: 1 }), VALID);
    expect(parsed(withPrototype)).toStrictEqual(reference(withPrototype));
    const proto = JSON.parse(`{"__proto__": 1, "loss": 2}`);
    const input = { ...VALID, metrics: proto };
    expect(parsed(input)).toStrictEqual(reference(input));
  });

  it("answers a valid header without the schema, and goes through the schema for any other", () => {
    const safeParse = vi.spyOn(SignedModelUpdateSchema, "safeParse");
    try {
      for (const [, change] of ACCEPTED) parseSignedModelUpdate({ ...VALID, ...change }, "update header");
      expect(safeParse).not.toHaveBeenCalled();
      expect(() => parseSignedModelUpdate({ ...VALID, delta: 1 }, "update header")).toThrow(InvalidInputError);
      expect(safeParse).toHaveBeenCalledTimes(1);
    } finally {
      safeParse.mockRestore();
    }
  });

  it("does not share the input's metrics object", () => {
    const input = { ...VALID, metrics: { loss: 1 } };
    const header = parseSignedModelUpdate(input, "update header");
    input.metrics.loss = 2;
    expect(header.metrics).toStrictEqual({ loss: 1 });
  });
});
