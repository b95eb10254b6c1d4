import { describe, expect, it } from "vitest";
import { z } from "zod";
import { numberParameters, variantsOf } from "./schema-options.js";

describe("variantsOf", () => {
  it("reads each option's numbers, defaults, optionality and bounds from a hand-built union", () => {
    const union = z.discriminatedUnion("kind", [
      z.strictObject({ kind: z.literal("plain") }),
      z.strictObject({
        kind: z.literal("tuned"),
        rate: z.number().min(0).lt(1).default(0.9),
        steps: z.number().int().positive().max(20).optional(),
        label: z.string(),
        nested: z.strictObject({ clip: z.number().gt(0) }),
      }),
    ]);
    expect(variantsOf(union)).toEqual({
      discriminator: "kind",
      variants: [
        { name: "plain", parameters: [] },
        {
          name: "tuned",
          parameters: [
            { key: "rate", integer: false, required: false, defaultValue: 0.9, bounds: "≥ 0, < 1" },
            { key: "steps", integer: true, required: false, defaultValue: undefined, bounds: "> 0, ≤ 20" },
            { key: "nested.clip", integer: false, required: true, defaultValue: undefined, bounds: "> 0" },
          ],
        },
      ],
    });
  });

  it("keeps a nested object's own required numbers required under an optional object", () => {
    const shape = { outer: z.strictObject({ needed: z.number() }).optional() };
    expect(numberParameters(shape)).toEqual([
      { key: "outer.needed", integer: false, required: true, defaultValue: undefined, bounds: "" },
    ]);
  });

  it("refuses a schema that is not a discriminated union", () => {
    expect(() => variantsOf(z.number())).toThrow(TypeError);
  });
});
