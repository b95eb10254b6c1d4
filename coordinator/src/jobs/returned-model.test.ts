import { describe, expect, it } from "vitest";
import { chooseReturnedModel } from "./returned-model.js";

const round = (index: number, metrics: Record<string, number> | null) => ({
  round: index,
  outputModelCid: `cid-${index}`,
  metrics,
});

describe("chooseReturnedModel", () => {
  it("returns the round with the lowest validation loss, not the last one, and reports the last beside it", () => {
    // The run of issue 20 in miniature: the last round's output is worse than the one before it.
    const rounds = [
      round(2, { validationLoss: 0.31, validationAccuracy: 0.897 }),
      round(0, { validationLoss: 0.6, validationAccuracy: 0.8 }),
      round(1, { validationLoss: 0.35, validationAccuracy: 0.88 }),
      round(3, { validationLoss: 0.52, validationAccuracy: 0.832 }),
    ];
    expect(chooseReturnedModel(rounds)).toEqual({
      model: "best-validation",
      round: 2,
      modelCid: "cid-2",
      validationLoss: 0.31,
      validationAccuracy: 0.897,
      last: { round: 3, modelCid: "cid-3", validationLoss: 0.52, validationAccuracy: 0.832 },
    });
  });

  it("prefers the later of two rounds with equal loss", () => {
    const rounds = [
      round(0, { validationLoss: 0.4 }),
      round(1, { validationLoss: 0.4 }),
      round(2, { validationLoss: 0.5 }),
    ];
    expect(chooseReturnedModel(rounds)?.round).toBe(1);
  });

  it("returns the last model when the job has no validation set", () => {
    const rounds = [round(0, { loss: 1 }), round(1, { loss: 0.5 }), { round: 2, outputModelCid: null, metrics: null }];
    expect(chooseReturnedModel(rounds)).toEqual({
      model: "last",
      round: 1,
      modelCid: "cid-1",
      validationLoss: null,
      validationAccuracy: null,
      last: { round: 1, modelCid: "cid-1", validationLoss: null, validationAccuracy: null },
    });
  });

  it("has nothing to return before a round finished", () => {
    expect(chooseReturnedModel([])).toBeNull();
  });
});
