import { describe, expect, it } from "vitest";
import { validationRecords } from "./demo-validation-set.js";

describe("the demo researcher's validation records", () => {
  it("takes the first 1,000 test records, or half of a smaller test split", () => {
    expect(validationRecords(10_000)).toBe(1_000);
    expect(validationRecords(2_000)).toBe(1_000);
    expect(validationRecords(1_500)).toBe(750);
  });
});
