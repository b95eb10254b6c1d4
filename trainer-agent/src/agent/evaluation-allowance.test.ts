import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type { JobId } from "@tributary/protocol";
import { afterEach, describe, expect, it } from "vitest";
import { EvaluationAllowance, roundMetric } from "./evaluation-allowance.js";

let dir: string | undefined;
afterEach(async () => {
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

describe("EvaluationAllowance", () => {
  it("keeps a job's used evaluations across a restart: a reopened allowance still refuses", async () => {
    dir = await mkdtemp(path.join(tmpdir(), "tributary-allowance-"));
    const first = await EvaluationAllowance.open(dir, "1", { evaluationsPerJob: 1 });
    await first.take("5" as JobId, 10, false);
    const reopened = await EvaluationAllowance.open(dir, "1", { evaluationsPerJob: 1 });
    await expect(reopened.take("5" as JobId, 10, false)).rejects.toMatchObject({
      code: "EVALUATION_ALLOWANCE_EXHAUSTED",
    });
    // Another job has its own allowance.
    await reopened.take("6" as JobId, 10, false);
  });

  it("rounds half away from zero to the given places", () => {
    expect(roundMetric(1.23456, 4)).toBe(1.2346);
    expect(roundMetric(9.87654, 2)).toBe(9.88);
    expect(roundMetric(0.125, 2)).toBe(0.13);
    expect(roundMetric(-0.125, 2)).toBe(-0.13);
    expect(roundMetric(2 / 3, 0)).toBe(1);
  });
});
