import * as tf from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, it } from "vitest";
import { initTrainingBackend } from "../training-backend.js";

/**
 * The wasm kernels are checked against two independent references: a float64 implementation of each formula
 * written here, and the cpu backend of tfjs. Tolerance: float32 has a unit roundoff u = 2⁻²⁴; a sum of K products
 * computed in float32 in any order has an error typically within √K·u·Σ|terms| (Higham's probabilistic bound),
 * so each element may differ from the float64 value by 4·√K·u·Σ|terms| (+1e-30 for exact zeros).
 */
const U = 2 ** -24;

function rng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32 - 0.5;
  };
}

function randomTensor(shape: number[], seed: number): tf.Tensor {
  const next = rng(seed);
  return tf.tensor(
    Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => 2 * next()),
    shape,
  );
}

/** Output size and leading padding of a window op, per TensorFlow's rules. */
function window(size: number, k: number, s: number, padding: "same" | "valid"): { out: number; before: number } {
  if (padding === "valid") return { out: Math.floor((size - k) / s) + 1, before: 0 };
  const out = Math.ceil(size / s);
  return { out, before: Math.floor(Math.max(0, (out - 1) * s + k - size) / 2) };
}

interface Case {
  b: number;
  h: number;
  w: number;
  c: number;
  f: number;
  kh: number;
  kw: number;
  s: [number, number];
  padding: "same" | "valid";
}

/** Reference dW and dx in float64 with the Σ|terms| of each element, from the convolution's definition. */
function referenceConvGrads(x: Float32Array, wt: Float32Array, dy: Float32Array, k: Case) {
  const oh = window(k.h, k.kh, k.s[0], k.padding);
  const ow = window(k.w, k.kw, k.s[1], k.padding);
  const dW = new Float64Array(k.kh * k.kw * k.c * k.f);
  const dWAbs = new Float64Array(dW.length);
  const dX = new Float64Array(k.b * k.h * k.w * k.c);
  const dXAbs = new Float64Array(dX.length);
  for (let b = 0; b < k.b; b++)
    for (let i = 0; i < oh.out; i++)
      for (let j = 0; j < ow.out; j++)
        for (let p = 0; p < k.kh; p++)
          for (let q = 0; q < k.kw; q++) {
            const ih = i * k.s[0] + p - oh.before;
            const iw = j * k.s[1] + q - ow.before;
            if (ih < 0 || ih >= k.h || iw < 0 || iw >= k.w) continue;
            for (let c = 0; c < k.c; c++)
              for (let f = 0; f < k.f; f++) {
                const g = dy[((b * oh.out + i) * ow.out + j) * k.f + f] as number;
                const xi = ((b * k.h + ih) * k.w + iw) * k.c + c;
                const wi = ((p * k.kw + q) * k.c + c) * k.f + f;
                const xv = x[xi] as number;
                const wv = wt[wi] as number;
                dW[wi] = (dW[wi] as number) + xv * g;
                dWAbs[wi] = (dWAbs[wi] as number) + Math.abs(xv * g);
                dX[xi] = (dX[xi] as number) + wv * g;
                dXAbs[xi] = (dXAbs[xi] as number) + Math.abs(wv * g);
              }
          }
  return { dW, dWAbs, dX, dXAbs, termsW: k.b * oh.out * ow.out, termsX: k.kh * k.kw * k.f };
}

function expectWithin(actual: ArrayLike<number>, expected: Float64Array, absSum: Float64Array, terms: number): void {
  expect(actual.length).toBe(expected.length);
  let worst = 0;
  for (let i = 0; i < expected.length; i++) {
    const tolerance = 4 * Math.sqrt(terms) * U * (absSum[i] as number) + 1e-30;
    worst = Math.max(worst, Math.abs((actual[i] as number) - (expected[i] as number)) / tolerance);
  }
  expect(worst).toBeLessThanOrEqual(1);
}

async function onBackend<T extends tf.TensorContainer>(name: "cpu" | "wasm", run: () => T): Promise<T> {
  await tf.setBackend(name);
  return tf.tidy(run);
}

const cases: Case[] = [
  { b: 2, h: 9, w: 7, c: 3, f: 4, kh: 3, kw: 3, s: [1, 1], padding: "same" },
  { b: 2, h: 9, w: 7, c: 3, f: 4, kh: 3, kw: 3, s: [2, 2], padding: "same" },
  { b: 3, h: 10, w: 11, c: 2, f: 5, kh: 4, kw: 2, s: [2, 3], padding: "valid" },
  { b: 1, h: 6, w: 6, c: 1, f: 2, kh: 1, kw: 1, s: [2, 2], padding: "valid" },
  { b: 2, h: 8, w: 8, c: 3, f: 2, kh: 5, kw: 5, s: [3, 3], padding: "same" },
  { b: 2, h: 12, w: 12, c: 8, f: 16, kh: 5, kw: 5, s: [1, 1], padding: "same" },
];

beforeAll(async () => {
  await initTrainingBackend({ prefer: ["wasm"], log: () => {} });
});

describe("wasm convolution gradients", () => {
  it.each(cases)("Conv2DBackpropFilter and Conv2DBackpropInput match float64 and cpu: %o", async (k) => {
    const x = randomTensor([k.b, k.h, k.w, k.c], 1);
    const w = randomTensor([k.kh, k.kw, k.c, k.f], 2);
    const dy = randomTensor(
      [k.b, window(k.h, k.kh, k.s[0], k.padding).out, window(k.w, k.kw, k.s[1], k.padding).out, k.f],
      3,
    );
    const { dW, dWAbs, dX, dXAbs, termsW, termsX } = referenceConvGrads(
      x.dataSync() as Float32Array,
      w.dataSync() as Float32Array,
      dy.dataSync() as Float32Array,
      k,
    );
    const filterAttrs = { strides: k.s, pad: k.padding, dataFormat: "NHWC", filterShape: [k.kh, k.kw, k.c, k.f] };
    const inputAttrs = { strides: k.s, pad: k.padding, dataFormat: "NHWC", inputShape: [k.b, k.h, k.w, k.c] };
    for (const backend of ["wasm", "cpu"] as const) {
      const gotW = await onBackend(backend, () =>
        (tf.engine().runKernel("Conv2DBackpropFilter", { x, dy }, filterAttrs) as tf.Tensor).dataSync(),
      );
      const gotX = await onBackend(backend, () =>
        (tf.engine().runKernel("Conv2DBackpropInput", { dy, filter: w }, inputAttrs) as tf.Tensor).dataSync(),
      );
      expectWithin(gotW, dW, dWAbs, termsW);
      expectWithin(gotX, dX, dXAbs, termsX);
    }
    await tf.setBackend("wasm");
  });

  it("Conv2DBackpropFilter handles NCHW through its loop fallback, like cpu", async () => {
    const k: Case = { b: 2, h: 7, w: 6, c: 3, f: 4, kh: 3, kw: 2, s: [2, 1], padding: "same" };
    const x = randomTensor([k.b, k.h, k.w, k.c], 4);
    const oh = window(k.h, k.kh, k.s[0], k.padding).out;
    const ow = window(k.w, k.kw, k.s[1], k.padding).out;
    const dy = randomTensor([k.b, oh, ow, k.f], 5);
    const ref = referenceConvGrads(
      x.dataSync() as Float32Array,
      new Float32Array(k.kh * k.kw * k.c * k.f),
      dy.dataSync() as Float32Array,
      k,
    );
    const attrs = { strides: k.s, pad: k.padding, dataFormat: "NCHW", filterShape: [k.kh, k.kw, k.c, k.f] };
    const got = await onBackend("wasm", () => {
      const xT = tf.transpose(x, [0, 3, 1, 2]);
      const dyT = tf.transpose(dy, [0, 3, 1, 2]);
      return (tf.engine().runKernel("Conv2DBackpropFilter", { x: xT, dy: dyT }, attrs) as tf.Tensor).dataSync();
    });
    expectWithin(got, ref.dW, ref.dWAbs, ref.termsW);
  });
});

describe("wasm MaxPoolGrad", () => {
  it.each([
    { shape: [2, 8, 8, 3], pool: 2, stride: 2, padding: "valid" as const },
    { shape: [2, 7, 9, 4], pool: 3, stride: 2, padding: "same" as const },
    { shape: [1, 5, 5, 2], pool: 2, stride: 1, padding: "valid" as const },
    // Values in {-1, 0, 1}: windows with tied maxima, as after a ReLU.
    { shape: [2, 6, 6, 3], pool: 2, stride: 2, padding: "valid" as const, ties: true },
  ])(
    "routes each output's gradient to the first maximum of its window: %o",
    async ({ shape, pool, stride, padding, ties }) => {
      const x = ties === true ? tf.round(randomTensor(shape, 6)) : randomTensor(shape, 6);
      const xs = x.dataSync();
      const [b = 0, h = 0, w = 0, c = 0] = shape;
      const rows = window(h, pool, stride, padding);
      const cols = window(w, pool, stride, padding);
      const dy = randomTensor([b, rows.out, cols.out, c], 7);
      const dys = dy.dataSync();
      const expected = new Float64Array(xs.length);
      for (let n = 0; n < b; n++)
        for (let i = 0; i < rows.out; i++)
          for (let j = 0; j < cols.out; j++)
            for (let ch = 0; ch < c; ch++) {
              let best = Number.NEGATIVE_INFINITY;
              let at = -1;
              for (let p = 0; p < pool; p++)
                for (let q = 0; q < pool; q++) {
                  const ih = i * stride + p - rows.before;
                  const iw = j * stride + q - cols.before;
                  if (ih < 0 || ih >= h || iw < 0 || iw >= w) continue;
                  const index = ((n * h + ih) * w + iw) * c + ch;
                  if ((xs[index] as number) > best) {
                    best = xs[index] as number;
                    at = index;
                  }
                }
              expected[at] = (expected[at] as number) + (dys[((n * rows.out + i) * cols.out + j) * c + ch] as number);
            }
      for (const backend of ["wasm", "cpu"] as const) {
        const got = await onBackend(backend, () =>
          tf
            .grad((input: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(input as tf.Tensor4D, pool, stride, padding), dy)))(x)
            .dataSync(),
        );
        // Each element is a sum of at most pool² products dy·1: exact up to a few roundings of dy-sized values.
        got.forEach((value, i) => {
          expect(Math.abs(value - (expected[i] as number))).toBeLessThanOrEqual(4 * pool * pool * U * 2);
        });
      }
      await tf.setBackend("wasm");
    },
  );
});

describe("wasm BatchMatMul with transposes", () => {
  // 13×37·37×9 takes the direct route; 4×64·64×48 (a small left operand, as in a dense layer's forward pass)
  // the transposed one, then the direct one once the right operand has been seen.
  it.each([
    [false, false, 13, 37, 9],
    [true, false, 13, 37, 9],
    [false, true, 13, 37, 9],
    [true, true, 13, 37, 9],
    [false, false, 4, 64, 48],
    [true, false, 4, 64, 48],
    [false, true, 4, 64, 48],
  ])("transposeA=%s transposeB=%s (%i×%i·%i) matches float64 and cpu", async (ta, tb, m, k, n) => {
    const a = randomTensor(ta ? [k, m] : [m, k], 8);
    const bm = randomTensor(tb ? [n, k] : [k, n], 9);
    const av = a.dataSync();
    const bv = bm.dataSync();
    const expected = new Float64Array(m * n);
    const absSum = new Float64Array(m * n);
    for (let i = 0; i < m; i++)
      for (let j = 0; j < n; j++)
        for (let p = 0; p < k; p++) {
          const term = (av[ta ? p * m + i : i * k + p] as number) * (bv[tb ? j * k + p : p * n + j] as number);
          expected[i * n + j] = (expected[i * n + j] as number) + term;
          absSum[i * n + j] = (absSum[i * n + j] as number) + Math.abs(term);
        }
    for (const backend of ["wasm", "wasm", "cpu"] as const) {
      const got = await onBackend(backend, () => tf.matMul(a, bm, ta, tb).dataSync());
      expectWithin(got, expected, absSum, k);
    }
    await tf.setBackend("wasm");
  });
});

describe("training a conv net on wasm", () => {
  it("tf.grad of a conv → relu → maxPool → dense loss matches the cpu backend", async () => {
    const x = randomTensor([4, 10, 10, 2], 10);
    const w1 = randomTensor([3, 3, 2, 6], 11);
    const w2 = randomTensor([5 * 5 * 6, 3], 12);
    const target = randomTensor([4, 3], 13);
    const loss = (k1: tf.Tensor, k2: tf.Tensor) => {
      const h = tf.maxPool(tf.relu(tf.conv2d(x as tf.Tensor4D, k1 as tf.Tensor4D, 1, "same")), 2, 2, "valid");
      const y = tf.matMul(tf.reshape(h, [4, -1]), k2);
      return tf.mean(tf.square(tf.sub(y, target)));
    };
    const run = () =>
      tf
        .grads(loss)([w1, w2])
        .map((g) => Array.from(g.dataSync()));
    const cpu = await onBackend("cpu", run);
    const wasm = await onBackend("wasm", run);
    // Several float32 layers compound: allow 1e-4 of each gradient's largest magnitude (≈ 1,700·u, far above
    // the √K·u ≈ 1e-6 per-layer rounding with K ≤ 150, far below any real bug).
    cpu.forEach((expected, t) => {
      const scale = Math.max(...expected.map(Math.abs));
      expected.forEach((value, i) => {
        expect(Math.abs((wasm[t]?.[i] ?? Number.NaN) - value)).toBeLessThanOrEqual(1e-4 * scale);
      });
    });
  });
});

describe("wasm Sum over all axes but the last (bias gradients)", () => {
  it.each([
    { shape: [4, 5, 6, 7], axis: [0, 1, 2], keepDims: false },
    { shape: [4, 5, 6, 7], axis: [2, 0, 1], keepDims: true },
    { shape: [9, 3], axis: 0, keepDims: false },
    { shape: [4, 5, 6], axis: [0, 2], keepDims: false }, // not a leading prefix: the original kernel
  ])("matches float64 and cpu: %o", async ({ shape, axis, keepDims }) => {
    const x = randomTensor(shape, 14);
    const cpuResult = await onBackend("cpu", () => tf.sum(x, axis, keepDims));
    const wasmResult = await onBackend("wasm", () => tf.sum(x, axis, keepDims));
    expect(wasmResult.shape).toEqual(cpuResult.shape);
    if (Array.isArray(axis) && axis.length === shape.length - 1 && !axis.includes(shape.length - 1)) {
      const values = x.dataSync();
      const channels = shape[shape.length - 1] ?? 0;
      const expected = new Float64Array(channels);
      const absSum = new Float64Array(channels);
      values.forEach((v, i) => {
        expected[i % channels] = (expected[i % channels] as number) + v;
        absSum[i % channels] = (absSum[i % channels] as number) + Math.abs(v);
      });
      expectWithin(wasmResult.dataSync(), expected, absSum, values.length / channels);
    }
    const cpuValues = cpuResult.dataSync();
    wasmResult.dataSync().forEach((v, i) => {
      expect(v).toBeCloseTo(cpuValues[i] as number, 4);
    });
  });
});
