import { decodeValidationSet, FEDAVG_CNN, MLP_784_200_200_10 } from "@tributary/protocol";
import type { Dataset } from "@tributary/trainer-agent";
import { describe, expect, it } from "vitest";
import { encodeValidationRecords } from "./validation-records.js";

/** Two 28×28 8-bit images as an IDX file holds them: pixel j of image i is (7i + j) mod 256. */
const IMAGES: Dataset = {
  features: Float32Array.from({ length: 2 * 784 }, (_, k) => (7 * Math.floor(k / 784) + (k % 784)) % 256),
  labels: Int32Array.from([3, 9]),
  featureShape: [28, 28],
  numClasses: 10,
  count: 2,
  featureScale: 1 / 255,
};

describe("the researcher's validation set", () => {
  it("holds the pixels scaled to [0, 1] as the trainers feed them, shaped as the MLP's input", () => {
    const set = decodeValidationSet(encodeValidationRecords(IMAGES, MLP_784_200_200_10));
    expect(set.featureShape).toEqual([784]);
    expect([...set.labels]).toEqual([3, 9]);
    expect(set.features[0]).toBe(0);
    expect(set.features[255]).toBe(1);
    expect(set.features[784 + 100]).toBe(Math.fround(107 / 255));
  });

  it("is shaped [28, 28, 1] for the CNN, with the same values row-major", () => {
    const set = decodeValidationSet(encodeValidationRecords(IMAGES, FEDAVG_CNN));
    expect(set.featureShape).toEqual([28, 28, 1]);
    expect(set.features[784 + 28 * 3 + 5]).toBe(Math.fround((7 + 89) / 255));
  });

  it("refuses records that do not fit the model's input", () => {
    const small: Dataset = { ...IMAGES, features: new Float32Array(2 * 16), featureShape: [4, 4] };
    expect(() => encodeValidationRecords(small, MLP_784_200_200_10)).toThrow(/16 features each, the model takes 784/);
  });
});
