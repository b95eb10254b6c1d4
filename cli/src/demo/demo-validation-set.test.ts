import { describe, expect, it } from "vitest";
import { researcherSets, validationRecords } from "./demo-validation-set.js";

describe("the demo researcher's validation records", () => {
  it("takes the first 1,000 test records, or half of a smaller test split", () => {
    expect(validationRecords(10_000)).toBe(1_000);
    expect(validationRecords(2_000)).toBe(1_000);
    expect(validationRecords(1_500)).toBe(750);
  });

  it("keeps an FLTrust job's root dataset apart from the validation set: the last 100 records, or as many as asked up to half", () => {
    const records = { count: 1_000 };
    const slice = (_: { count: number }, from: number, to: number) => ({ count: to - from, from });
    expect(researcherSets(records, "fltrust", slice)).toEqual({
      validation: { count: 900, from: 0 },
      root: { count: 100, from: 900 },
    });
    expect(researcherSets(records, "fltrust", slice, 300).root).toEqual({ count: 300, from: 700 });
    expect(researcherSets({ count: 150 }, "fltrust", slice).root).toEqual({ count: 75, from: 75 });
    expect(researcherSets(records, "centredclip", slice)).toEqual({ validation: records });
  });
});
