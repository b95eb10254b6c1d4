import { describe, expect, it } from "vitest";
import { ByzantineOptionSchema, byzantineTransform } from "./byzantine-spec.js";

describe("--byzantine K:ATTACK", () => {
  it("reads the count and the attack", () => {
    expect(ByzantineOptionSchema.parse("2:sign-flip")).toEqual({ count: 2, attack: "sign-flip" });
    expect(ByzantineOptionSchema.parse("0:scale-100")).toEqual({ count: 0, attack: "scale-100" });
    expect(ByzantineOptionSchema.parse("12:scale-100")).toEqual({ count: 12, attack: "scale-100" });
  });

  it("refuses unknown attacks, missing parts and negative or fractional counts", () => {
    for (const text of [
      "2",
      "sign-flip",
      "2:",
      ":sign-flip",
      "2:scale-10",
      "-1:sign-flip",
      "1.5:sign-flip",
      "2:sign-flip:x",
    ]) {
      expect(ByzantineOptionSchema.safeParse(text).success, text).toBe(false);
    }
  });
});

describe("byzantineTransform", () => {
  it("negates the update (sign-flip) or multiplies it by 100 (scale-100), leaving the honest one as it was", () => {
    const honest = Float32Array.from([0.5, -0.25, 0, 3]);
    expect(Array.from(byzantineTransform("sign-flip")(honest))).toEqual([-0.5, 0.25, -0, -3]);
    expect(Array.from(byzantineTransform("scale-100")(honest))).toEqual([50, -25, 0, 300]);
    expect(Array.from(honest)).toEqual([0.5, -0.25, 0, 3]);
  });
});
