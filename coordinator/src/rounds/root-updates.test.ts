import { describe, expect, it } from "vitest";
import { rootSteps } from "./root-updates.js";

describe("FLTrust server update length (rootSteps)", () => {
  // Owners of 100, 3,000 and 6,000 examples at batch 32 take ⌈n/32⌉ = 4, 94 and 188 steps an epoch.
  const counts = [6_000, 100, 3_000];

  it("takes as many SGD steps as the round's median update", () => {
    expect(rootSteps(counts, 1, 32)).toBe(94);
    expect(rootSteps(counts, 2, 32)).toBe(188);
    // An even count takes the upper median: 4, 94, 188, 313 → 188.
    expect(rootSteps([...counts, 10_000], 1, 32)).toBe(188);
  });

  it("never trains the server longer than the job's maxLocalSteps lets a trainer train", () => {
    expect(rootSteps(counts, 1, 32, 64)).toBe(64);
    expect(rootSteps(counts, 1, 32, 500)).toBe(94);
  });

  it("takes at least one step", () => {
    expect(rootSteps([], 1, 32)).toBe(1);
  });
});
