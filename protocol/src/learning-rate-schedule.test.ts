import { describe, expect, it } from "vitest";
import { JobSpecSchema } from "./job-spec.js";
import { roundLearningRate } from "./learning-rate-schedule.js";
import { parseInput } from "./parse.js";
import { MLP_784_200_200_10 } from "./reference-models.js";

describe("roundLearningRate", () => {
  it("is the spec's rate in every round without a schedule or with a constant one", () => {
    for (const round of [0, 7, 29]) {
      expect(roundLearningRate(0.05, undefined, round, 30)).toBe(0.05);
      expect(roundLearningRate(0.05, { kind: "constant" }, round, 30)).toBe(0.05);
    }
  });

  it("follows the cosine from lr down to finalFraction·lr (closed form at the ends, the middle and a quarter)", () => {
    const schedule = { kind: "cosine", finalFraction: 0.2 } as const;
    // r/(R−1) = 0, ¼, ½, 1 with R = 5: cos(π·p) = 1, √2/2, 0, −1.
    expect(roundLearningRate(0.1, schedule, 0, 5)).toBeCloseTo(0.1, 15);
    expect(roundLearningRate(0.1, schedule, 1, 5)).toBeCloseTo(0.1 * (0.2 + 0.8 * 0.5 * (1 + Math.SQRT1_2)), 15);
    expect(roundLearningRate(0.1, schedule, 2, 5)).toBeCloseTo(0.1 * 0.6, 15);
    expect(roundLearningRate(0.1, schedule, 4, 5)).toBeCloseTo(0.02, 15);
    // Never increases from one round to the next.
    const rates = Array.from({ length: 30 }, (_, r) => roundLearningRate(0.05, schedule, r, 30));
    for (let r = 1; r < rates.length; r++) expect(rates[r]).toBeLessThanOrEqual(rates[r - 1] as number);
  });

  it("keeps the rate of a one-round job", () => {
    expect(roundLearningRate(0.05, { kind: "cosine", finalFraction: 0 }, 0, 1)).toBe(0.05);
  });
});

describe("JobSpec.learningRateSchedule", () => {
  const spec = {
    name: "cosine",
    model: MLP_784_200_200_10,
    datasetIds: ["1"],
    rounds: 10,
    learningRate: 0.05,
  };

  it("defaults finalFraction to 0.1 and stays absent when not given (existing specs hash as before)", () => {
    const cosine = parseInput(JobSpecSchema, { ...spec, learningRateSchedule: { kind: "cosine" } }, "JobSpec");
    expect(cosine.learningRateSchedule).toEqual({ kind: "cosine", finalFraction: 0.1 });
    expect("learningRateSchedule" in parseInput(JobSpecSchema, spec, "JobSpec")).toBe(false);
  });

  it("refuses a final fraction above 1, naming the field", () => {
    expect(() =>
      parseInput(JobSpecSchema, { ...spec, learningRateSchedule: { kind: "cosine", finalFraction: 2 } }, "JobSpec"),
    ).toThrow(/learningRateSchedule\.finalFraction/);
  });
});
