import { describe, expect, it } from "vitest";
import { SignedModelUpdateSchema } from "./model-update.js";
import { InvalidInputError, parseInput } from "./parse.js";
import {
  AttestSchema,
  EvaluationReportSchema,
  JoinSchema,
  LoginSchema,
  MAX_ATTESTATION_BYTES,
  RefusalSchema,
} from "./socket-messages.js";

const NONCE = `0x${"77".repeat(32)}`;
const TOO_BIG = "99999999999999999999999";

function issuesOf(schema: Parameters<typeof parseInput>[0], input: unknown, what: string): string[] {
  try {
    parseInput(schema, input, what);
  } catch (error) {
    if (error instanceof InvalidInputError) return error.issues.map((issue) => `${issue.path}: ${issue.message}`);
    throw error;
  }
  throw new Error("the input was accepted");
}

describe("socket messages", () => {
  it("refuse ids above PostgreSQL bigint in login and join", () => {
    const signature = `0x${"11".repeat(32)}${"22".repeat(32)}1b`;
    const login = { address: `0x${"11".repeat(20)}`, datasetId: TOO_BIG, signature };
    expect(issuesOf(LoginSchema, login, "login")).toEqual([
      "login.datasetId: must be at most 9223372036854775807 (PostgreSQL bigint)",
    ]);
    expect(issuesOf(JoinSchema, { jobId: TOO_BIG }, "join")).toEqual([
      "join.jobId: must be at most 9223372036854775807 (PostgreSQL bigint)",
    ]);
  });

  it("bound the attestation document at 64 KiB", () => {
    expect(MAX_ATTESTATION_BYTES).toBe(65_536);
    const attest = (bytes: number) => ({ jobId: "1", kind: "simulated", document: new Uint8Array(bytes) });
    expect(AttestSchema.safeParse(attest(65_536)).success).toBe(true);
    expect(issuesOf(AttestSchema, attest(65_537), "attest")).toEqual(["attest.document: must be at most 65536 bytes"]);
  });

  it("refuse a refusal whose code or message PostgreSQL cannot store, and bound their lengths", () => {
    const refusal = { jobId: "1", round: 0, nonce: NONCE, code: "BUDGET", message: "over budget" };
    expect(issuesOf(RefusalSchema, { ...refusal, message: "a\u0000b" }, "refusal")).toEqual([
      "refusal.message: must not contain the NUL character (U+0000)",
    ]);
    expect(issuesOf(RefusalSchema, { ...refusal, code: "\u0000" }, "refusal")).toEqual([
      "refusal.code: must not contain the NUL character (U+0000)",
    ]);
    expect(issuesOf(RefusalSchema, { ...refusal, message: "x".repeat(2001) }, "refusal")[0]).toMatch(
      /^refusal\.message: Too big/,
    );
  });

  it("refuse a round above PostgreSQL integer and metric names PostgreSQL cannot store", () => {
    const report = { jobId: "1", round: 0, nonce: NONCE, numExamples: 10, metrics: { loss: 0.5 } };
    expect(issuesOf(EvaluationReportSchema, { ...report, round: 2 ** 31 }, "evaluation")[0]).toMatch(
      /^evaluation\.round: Too big/,
    );
    expect(issuesOf(EvaluationReportSchema, { ...report, metrics: { "lo\u0000ss": 1 } }, "evaluation")).toEqual([
      'evaluation.metrics: metric "lo\\u0000ss" must not contain the NUL character (U+0000)',
    ]);
  });

  it("count metrics before parsing them: 33 are refused with one issue", () => {
    const metrics = Object.fromEntries(Array.from({ length: 33 }, (_, i) => [`m${i}`, "not a number"]));
    const header = {
      jobId: "1",
      round: 0,
      trainer: `0x${"11".repeat(20)}`,
      datasetId: "1",
      numExamples: 1,
      updateHash: NONCE,
      metrics,
      epsilonSpent: null,
      delta: 0,
      nonce: NONCE,
      signature: `0x${"11".repeat(32)}${"22".repeat(32)}1b`,
    };
    expect(issuesOf(SignedModelUpdateSchema, header, "update header")).toEqual([
      "update header.metrics: at most 32 metrics",
    ]);
  });
});
