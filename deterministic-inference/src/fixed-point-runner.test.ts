import type { ModelSpecInput } from "@tributary/protocol";
import { describe, expect, it } from "vitest";
import { DeterministicInputError } from "./deterministic-errors.js";
import { FixedPointRunner } from "./fixed-point-runner.js";
import { quantiseInputs } from "./quantise-inputs.js";
import { quantiseModel } from "./quantise-model.js";
import type { QuantisedConv2d, QuantisedLayer, QuantisedModel } from "./quantised-model.js";

// Every expected number below is worked out by hand in the comments: closed forms, not the code's own output.

const run = (model: QuantisedModel, inputs: number[]) =>
  Array.from(new FixedPointRunner(model).run(Int32Array.from(inputs)));

function dense(kernel: number[], bias: number[], weightFractionBits: number, relu = false): QuantisedLayer {
  return {
    op: "dense",
    inputs: kernel.length / bias.length,
    units: bias.length,
    relu,
    weightFractionBits,
    kernel: Int16Array.from(kernel),
    bias: Float64Array.from(bias),
  };
}

function conv(
  kernel: number[],
  options: Partial<QuantisedConv2d> & Pick<QuantisedConv2d, "kernelSize" | "inChannels" | "filters">,
): QuantisedConv2d {
  return {
    op: "conv2d",
    strides: [1, 1],
    padding: "valid",
    relu: false,
    weightFractionBits: 0,
    bias: new Float64Array(options.filters),
    ...options,
    kernel: Int16Array.from(kernel),
  };
}

describe("a 2×2 dense layer quantised from float weights", () => {
  // kernel [inputs, units] = [[1, −2], [0.5, 3]], bias [0.25, −1], input [1.5, −0.75].
  // Float: y0 = 1.5·1 − 0.75·0.5 + 0.25 = 1.375, y1 = 1.5·(−2) − 0.75·3 − 1 = −6.25.
  const spec: ModelSpecInput = { inputShape: [2], layers: [{ type: "dense", units: 2 }], loss: "meanSquaredError" };
  const weights = Float32Array.from([1, -2, 0.5, 3, 0.25, -1]);

  it("chooses F_W = 13 (3 · 2^13 = 24,576 ≤ 32,767 < 3 · 2^14) and scales the bias by 2^(12 + 13)", () => {
    const [layer] = quantiseModel(spec, weights).layers;
    expect(layer).toMatchObject({ op: "dense", inputs: 2, units: 2, weightFractionBits: 13, relu: false });
    const { kernel, bias } = layer as { kernel: Int16Array; bias: Float64Array };
    expect(Array.from(kernel)).toEqual([8192, -16384, 4096, 24576]);
    expect(Array.from(bias)).toEqual([2 ** 23, -(2 ** 25)]);
  });

  it("gives the integer logits 1.375 · 2^12 = 5,632 and −6.25 · 2^12 = −25,600", () => {
    const model = quantiseModel(spec, weights);
    const inputs = quantiseInputs(model, Float32Array.from([1.5, -0.75]));
    expect(Array.from(inputs)).toEqual([6144, -3072]);
    // acc0 = 2^23 + 6144·8192 − 3072·4096 = 46,137,344 = 5632 · 2^13; acc1 = −2^25 − 6144·16384 − 3072·24576 = −25600 · 2^13.
    expect(run(model, Array.from(inputs))).toEqual([5632, -25600]);
  });

  it("with ReLU the negative unit is 0", () => {
    const relu: ModelSpecInput = { ...spec, layers: [{ type: "dense", units: 2, activation: "relu" }] };
    expect(run(quantiseModel(relu, weights), [6144, -3072])).toEqual([5632, 0]);
  });
});

describe("rounding and saturation", () => {
  it("rounds a shift half up: 1.5 → 2, −1.5 → −1, 4.5 → 5, 1.25 → 1, −1.75 → −2", () => {
    // F_W = 1: acc = 3·[1, −1, 3] = [3, −3, 9] → [1.5, −1.5, 4.5]; F_W = 2: acc = [5, −7] → [1.25, −1.75].
    const half = { activationFractionBits: 0, inputShape: [1], layers: [dense([1, -1, 3], [0, 0, 0], 1)] };
    expect(run(half, [3])).toEqual([2, -1, 5]);
    const quarter = { activationFractionBits: 0, inputShape: [1], layers: [dense([5, -7], [0, 0], 2)] };
    expect(run(quarter, [1])).toEqual([1, -2]);
  });

  it("adds the bias before the shift: 1·1 + 1 = 2 at 2 fractional bits is 0.5, rounded up to 1", () => {
    const model = { activationFractionBits: 0, inputShape: [1], layers: [dense([1], [1], 2)] };
    expect(run(model, [1])).toEqual([1]);
  });

  it("saturates at ±(2^23 − 1) instead of wrapping", () => {
    const model = { activationFractionBits: 0, inputShape: [1], layers: [dense([32767, -32767], [0, 0], 0)] };
    expect(run(model, [2 ** 23 - 1])).toEqual([2 ** 23 - 1, -(2 ** 23 - 1)]);
  });

  it("quantises inputs half up and saturates them: x · 2^12 for 0.5/4096, −0.5/4096, 1e9", () => {
    const inputs = quantiseInputs(
      { activationFractionBits: 12 },
      Float32Array.from([0.5 / 4096, -0.5 / 4096, 1.5 / 4096, 1e9]),
    );
    expect(Array.from(inputs)).toEqual([1, 0, 2, 2 ** 23 - 1]);
  });

  it("refuses NaN and Infinity as inputs, and inputs out of range or not whole examples", () => {
    expect(() => quantiseInputs({ activationFractionBits: 12 }, Float32Array.from([0, Number.NaN]))).toThrow(
      DeterministicInputError,
    );
    expect(() => quantiseInputs({ activationFractionBits: 12 }, Float32Array.from([Number.POSITIVE_INFINITY]))).toThrow(
      /not a finite number/,
    );
    const model = { activationFractionBits: 0, inputShape: [2], layers: [dense([1, 1], [0], 0)] };
    expect(() => run(model, [1, 2, 3])).toThrow(DeterministicInputError);
    expect(() => run(model, [2 ** 23, 0])).toThrow(/outside/);
  });
});

/** The 4×4 image 1…16, row-major (x(r, c) = 4r + c + 1), one channel. */
const IMAGE = Array.from({ length: 16 }, (_, i) => i + 1);
/** A 3×3 kernel [[1, 0, 2], [0, 0, 0], [3, 0, 0]] (not symmetric, so a flipped or transposed kernel shows). */
const KERNEL = [1, 0, 2, 0, 0, 0, 3, 0, 0];

describe("a 3×3 convolution on a 4×4 image", () => {
  it("valid: out(y, x) = x(y, x) + 2·x(y, x+2) + 3·x(y+2, x) = [34, 40, 58, 64]; with bias −40 and ReLU [0, 0, 18, 24]", () => {
    // (0,0) = 1 + 2·3 + 3·9 = 34; (0,1) = 2 + 2·4 + 3·10 = 40; (1,0) = 5 + 2·7 + 3·13 = 58; (1,1) = 6 + 2·8 + 3·14 = 64.
    const layer = conv(KERNEL, { kernelSize: [3, 3], inChannels: 1, filters: 1 });
    expect(run({ activationFractionBits: 0, inputShape: [4, 4, 1], layers: [layer] }, IMAGE)).toEqual([34, 40, 58, 64]);
    const biased = { ...layer, bias: Float64Array.from([-40]), relu: true };
    expect(run({ activationFractionBits: 0, inputShape: [4, 4, 1], layers: [biased] }, IMAGE)).toEqual([0, 0, 18, 24]);
  });

  it("same: one row and column of zeros around, out(y, x) = x(y−1, x−1) + 2·x(y−1, x+1) + 3·x(y+1, x−1)", () => {
    // Row 0 sees only 3·x(1, x−1): 0, 15, 18, 21. Row 1: 4, 1+6+27 = 34, 2+8+30 = 40, 3+0+33 = 36.
    // Row 2: 12, 5+14+39 = 58, 6+16+42 = 64, 7+0+45 = 52. Row 3 (nothing below): 20, 9+22 = 31, 10+24 = 34, 11.
    const layer = conv(KERNEL, { kernelSize: [3, 3], inChannels: 1, filters: 1, padding: "same" });
    const model = { activationFractionBits: 0, inputShape: [4, 4, 1], layers: [layer] };
    expect(run(model, IMAGE)).toEqual([0, 15, 18, 21, 4, 34, 40, 36, 12, 58, 64, 52, 20, 31, 34, 11]);
    // Then 2×2 max-pooling: max(0, 15, 4, 34), max(18, 21, 40, 36), max(12, 58, 20, 31), max(64, 52, 34, 11).
    const pooled = {
      ...model,
      layers: [layer, { op: "maxPool2d", poolSize: [2, 2], strides: [2, 2], padding: "valid" } as const],
    };
    expect(run(pooled, IMAGE)).toEqual([34, 40, 58, 64]);
  });

  it("channels last, kernel [kh, kw, in, out]: a 1×1 kernel [[1, 2], [3, 4]] maps (a, b) to (a + 3b, 2a + 4b)", () => {
    const layer = conv([1, 2, 3, 4], { kernelSize: [1, 1], inChannels: 2, filters: 2 });
    const pixels = [1, 10, 2, 20, 3, 30, 4, 40];
    expect(run({ activationFractionBits: 0, inputShape: [2, 2, 2], layers: [layer] }, pixels)).toEqual([
      31, 42, 62, 84, 93, 126, 124, 168,
    ]);
  });

  it("a stride of 2 keeps every other position: valid 3×3 on 5×5 at (0,0), (0,2), (2,0), (2,2)", () => {
    // x(r, c) = 5r + c + 1; out = x(y, x) + 2·x(y, x+2) + 3·x(y+2, x) at y, x ∈ {0, 2}:
    // (0,0) = 1 + 6 + 33 = 40; (0,2) = 3 + 10 + 39 = 52; (2,0) = 11 + 26 + 63 = 100; (2,2) = 13 + 30 + 69 = 112.
    const layer = conv(KERNEL, { kernelSize: [3, 3], inChannels: 1, filters: 1, strides: [2, 2] });
    const image = Array.from({ length: 25 }, (_, i) => i + 1);
    expect(run({ activationFractionBits: 0, inputShape: [5, 5, 1], layers: [layer] }, image)).toEqual([
      40, 52, 100, 112,
    ]);
  });
});

describe("max-pooling with same padding", () => {
  it("2×2 stride 2 on 5×5 pads one row and column after, and the padding never wins (−1…−25 → −1 … −25)", () => {
    // ⌈5/2⌉ = 3 outputs per axis, total padding (3 − 1)·2 + 2 − 5 = 1, all of it after: windows {0,1}, {2,3}, {4}.
    const pool = { op: "maxPool2d", poolSize: [2, 2], strides: [2, 2], padding: "same" } as const;
    const model = { activationFractionBits: 0, inputShape: [5, 5, 1], layers: [pool] };
    const image = Array.from({ length: 25 }, (_, i) => i + 1);
    expect(run(model, image)).toEqual([7, 9, 10, 17, 19, 20, 22, 24, 25]);
    // Negated: each window's largest is its first element; a zero padding would have given 0 in the last row/column.
    expect(
      run(
        model,
        image.map((v) => -v),
      ),
    ).toEqual([-1, -3, -5, -11, -13, -15, -21, -23, -25]);
  });
});

describe("a dense layer over a rank-3 input", () => {
  it("applies to the last axis at every position, as tfjs does without a flatten", () => {
    // [1, 2, 2] input, kernel [2, 1] = [[1], [−1]]: each position gives a − b.
    const model = { activationFractionBits: 0, inputShape: [1, 2, 2], layers: [dense([1, -1], [0], 0)] };
    expect(run(model, [5, 3, 2, 7])).toEqual([2, -5]);
  });
});
