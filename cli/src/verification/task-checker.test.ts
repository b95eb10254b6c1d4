import { DeterministicModel, quantiseInputs, requestBytes } from "@tributary/deterministic-inference";
import { type Bytes32, ModelSpecSchema, SeededRandom } from "@tributary/protocol";
import { sha256 } from "ethers";
import { describe, expect, it } from "vitest";
import { referenceInference } from "../../../deterministic-inference/test-support/bigint-reference.js";
import { RequestSource } from "./request-source.js";
import { TaskChecker } from "./task-checker.js";

// Re-execution as a challenger and a committee member do it, against the BigInt reference implementation.

const SPEC = ModelSpecSchema.parse({
  inputShape: [4],
  layers: [
    { type: "dense", units: 3, activation: "relu" },
    { type: "dense", units: 2, activation: "softmax" },
  ],
  loss: "categoricalCrossentropy",
  numClasses: 2,
});
const random = new SeededRandom("task-checker");
const WEIGHTS = Float32Array.from({ length: 4 * 3 + 3 + 3 * 2 + 2 }, () => random.nextFloat() - 0.5);
const INPUTS = Float32Array.from([0.25, -1.5, 0.75, 2]);
const model = DeterministicModel.fromFloat(SPEC, WEIGHTS);
const reference = referenceInference(SPEC, WEIGHTS, INPUTS);
const bytes = requestBytes(model.modelHash, 4, quantiseInputs(model.model, INPUTS));

/** A request source over fake HTTP servers: `answers` maps a base URL to what it answers for any hash. */
function source(answers: Record<string, Uint8Array | number>) {
  const fetchImpl = (async (url: string) => {
    const base = Object.keys(answers).find((candidate) => url.startsWith(candidate));
    const answer = base === undefined ? 404 : answers[base];
    if (typeof answer === "number" || answer === undefined) return new Response(null, { status: answer ?? 404 });
    return new Response(answer, { status: 200 });
  }) as typeof fetch;
  return new RequestSource(Object.keys(answers), fetchImpl);
}

const task = (responseHash: string) => ({ taskId: 3n, inputHash: reference.requestHash, responseHash });

describe("TaskChecker", () => {
  it("agrees with the reference's response hash, and names the one that differs", async () => {
    expect(sha256(bytes)).toBe(reference.requestHash);
    const checker = new TaskChecker(model, source({ "http://provider": bytes }));
    expect(await checker.check(task(reference.responseHash))).toMatchObject({
      verdict: "agrees",
      recomputed: reference.responseHash,
      from: "http://provider",
      requestNamesModel: true,
    });
    const wrong = `0x${"ee".repeat(32)}` as Bytes32;
    expect(await checker.check(task(wrong))).toMatchObject({ verdict: "differs", recomputed: reference.responseHash });
  });

  it("skips a source that has nothing or serves other bytes, and says so when none has the request", async () => {
    const other = requestBytes(model.modelHash, 4, Int32Array.from([1, 2, 3, 4]));
    const checker = new TaskChecker(model, source({ "http://a": 404, "http://b": other, "http://c": bytes }));
    expect(await checker.check(task(reference.responseHash))).toMatchObject({ verdict: "agrees", from: "http://c" });
    const none = await new TaskChecker(model, source({ "http://a": 404, "http://b": other })).check(task("0x"));
    expect(none.verdict).toBe("unavailable");
    expect(none.reason).toMatch(
      /http:\/\/a\/v1\/requests\/0x[0-9a-f]{64}: HTTP 404; http:\/\/b\/.*: the bytes hash to/,
    );
  });

  it("finds a request that does not fit the model unusable (not a reason to dispute)", async () => {
    const misfit = requestBytes(model.modelHash, 2, Int32Array.from([1, 2]));
    const checker = new TaskChecker(model, source({ "http://provider": misfit }));
    const check = await checker.check({ taskId: 1n, inputHash: sha256(misfit), responseHash: reference.responseHash });
    expect(check.verdict).toBe("unusable");
    expect(check.reason).toMatch(/2 values per example, the model takes 4/);
  });
});
