import { type LayerSpec, type ModelSpec, ModelSpecSchema } from "@tributary/protocol";
import { describe, expect, it } from "vitest";
import { KernelNetwork } from "./kernel-network.js";
import { planKernelTraining } from "./kernel-plan.js";

/**
 * The kernels' gradients against a float64 reference written here from the definitions (direct convolution over
 * zero padding, first-maximum pooling, dense products, softmax cross-entropy with tfjs's probability clipping),
 * forward and backward, for networks that exercise every path: same and valid padding, odd and even filters, a
 * pool over an odd width (a column no window covers), conv → conv (padded copies both ways), dense → dense, and a
 * batch smaller than the capacity.
 */

function rng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32 - 0.5;
  };
}

type T4 = { data: Float64Array; h: number; w: number; c: number };

interface RefLayer {
  forward(x: T4[]): T4[];
  /** Gradient w.r.t. the input; adds parameter gradients to `grads` (in the order of `params`). */
  backward(dy: T4[]): T4[];
  params: Float64Array[];
  grads: Float64Array[];
}

const at = (t: T4, i: number, j: number, k: number) => (i * t.w + j) * t.c + k;
const zeros = (h: number, w: number, c: number): T4 => ({ data: new Float64Array(h * w * c), h, w, c });
const add = (values: Float64Array, index: number, amount: number) => {
  values[index] = (values[index] as number) + amount;
};

function refConv(spec: Extract<LayerSpec, { type: "conv2d" }>, inC: number, weights: () => number): RefLayer {
  const [fh, fw] = spec.kernelSize;
  const kernel = Float64Array.from({ length: fh * fw * inC * spec.filters }, weights);
  const bias = Float64Array.from({ length: spec.filters }, weights);
  const pt = spec.padding === "same" ? Math.floor((fh - 1) / 2) : 0;
  const pl = spec.padding === "same" ? Math.floor((fw - 1) / 2) : 0;
  let xs: T4[] = [];
  let ys: T4[] = [];
  const layer: RefLayer = {
    params: spec.useBias ? [kernel, bias] : [kernel],
    grads: spec.useBias
      ? [new Float64Array(kernel.length), new Float64Array(bias.length)]
      : [new Float64Array(kernel.length)],
    forward(input) {
      xs = input;
      ys = input.map((x) => {
        const oh = spec.padding === "same" ? x.h : x.h - fh + 1;
        const ow = spec.padding === "same" ? x.w : x.w - fw + 1;
        const y = zeros(oh, ow, spec.filters);
        for (let i = 0; i < oh; i++)
          for (let j = 0; j < ow; j++)
            for (let f = 0; f < spec.filters; f++) {
              let sum = spec.useBias ? (bias[f] as number) : 0;
              for (let p = 0; p < fh; p++)
                for (let q = 0; q < fw; q++) {
                  const ii = i + p - pt;
                  const jj = j + q - pl;
                  if (ii < 0 || jj < 0 || ii >= x.h || jj >= x.w) continue;
                  for (let c = 0; c < inC; c++) {
                    sum +=
                      (x.data[at(x, ii, jj, c)] as number) *
                      (kernel[((p * fw + q) * inC + c) * spec.filters + f] as number);
                  }
                }
              y.data[at(y, i, j, f)] = spec.activation === "relu" ? Math.max(0, sum) : sum;
            }
        return y;
      });
      return ys;
    },
    backward(dys) {
      return dys.map((dy, n) => {
        const x = xs[n] as T4;
        const y = ys[n] as T4;
        const dx = zeros(x.h, x.w, x.c);
        for (let i = 0; i < dy.h; i++)
          for (let j = 0; j < dy.w; j++)
            for (let f = 0; f < spec.filters; f++) {
              const relu = spec.activation === "relu" && !((y.data[at(y, i, j, f)] as number) > 0);
              const g = relu ? 0 : (dy.data[at(dy, i, j, f)] as number);
              if (spec.useBias) add(layer.grads[1] as Float64Array, f, g);
              for (let p = 0; p < fh; p++)
                for (let q = 0; q < fw; q++) {
                  const ii = i + p - pt;
                  const jj = j + q - pl;
                  if (ii < 0 || jj < 0 || ii >= x.h || jj >= x.w) continue;
                  for (let c = 0; c < inC; c++) {
                    const wi = ((p * fw + q) * inC + c) * spec.filters + f;
                    add(layer.grads[0] as Float64Array, wi, g * (x.data[at(x, ii, jj, c)] as number));
                    add(dx.data, at(dx, ii, jj, c), g * (kernel[wi] as number));
                  }
                }
            }
        return dx;
      });
    },
  };
  return layer;
}

function refPool(size: [number, number]): RefLayer {
  const [ph, pw] = size;
  let xs: T4[] = [];
  return {
    params: [],
    grads: [],
    forward(input) {
      xs = input;
      return input.map((x) => {
        const y = zeros(Math.floor(x.h / ph), Math.floor(x.w / pw), x.c);
        for (let i = 0; i < y.h; i++)
          for (let j = 0; j < y.w; j++)
            for (let c = 0; c < x.c; c++) {
              let best = Number.NEGATIVE_INFINITY;
              for (let p = 0; p < ph; p++)
                for (let q = 0; q < pw; q++) best = Math.max(best, x.data[at(x, i * ph + p, j * pw + q, c)] as number);
              y.data[at(y, i, j, c)] = best;
            }
        return y;
      });
    },
    backward(dys) {
      return dys.map((dy, n) => {
        const x = xs[n] as T4;
        const dx = zeros(x.h, x.w, x.c);
        for (let i = 0; i < dy.h; i++)
          for (let j = 0; j < dy.w; j++)
            for (let c = 0; c < x.c; c++) {
              let best = Number.NEGATIVE_INFINITY;
              let where = -1;
              for (let p = 0; p < ph; p++)
                for (let q = 0; q < pw; q++) {
                  const k = at(x, i * ph + p, j * pw + q, c);
                  if ((x.data[k] as number) > best) {
                    best = x.data[k] as number;
                    where = k;
                  }
                }
              add(dx.data, where, dy.data[at(dy, i, j, c)] as number);
            }
        return dx;
      });
    },
  };
}

function refDense(spec: Extract<LayerSpec, { type: "dense" }>, inputs: number, weights: () => number): RefLayer {
  const kernel = Float64Array.from({ length: inputs * spec.units }, weights);
  const bias = Float64Array.from({ length: spec.units }, weights);
  let xs: T4[] = [];
  let ys: T4[] = [];
  const layer: RefLayer = {
    params: spec.useBias ? [kernel, bias] : [kernel],
    grads: spec.useBias
      ? [new Float64Array(kernel.length), new Float64Array(bias.length)]
      : [new Float64Array(kernel.length)],
    forward(input) {
      xs = input;
      ys = input.map((x) => {
        const y = zeros(1, 1, spec.units);
        for (let u = 0; u < spec.units; u++) {
          let sum = spec.useBias ? (bias[u] as number) : 0;
          for (let i = 0; i < inputs; i++) sum += (x.data[i] as number) * (kernel[i * spec.units + u] as number);
          y.data[u] = spec.activation === "relu" ? Math.max(0, sum) : sum;
        }
        return y;
      });
      return ys;
    },
    backward(dys) {
      return dys.map((dy, n) => {
        const x = xs[n] as T4;
        const y = ys[n] as T4;
        const dx = zeros(x.h, x.w, x.c);
        for (let u = 0; u < spec.units; u++) {
          const g = spec.activation === "relu" && !((y.data[u] as number) > 0) ? 0 : (dy.data[u] as number);
          if (spec.useBias) add(layer.grads[1] as Float64Array, u, g);
          for (let i = 0; i < inputs; i++) {
            add(layer.grads[0] as Float64Array, i * spec.units + u, g * (x.data[i] as number));
            add(dx.data, i, g * (kernel[i * spec.units + u] as number));
          }
        }
        return dx;
      });
    },
  };
  return layer;
}

/** Builds the reference layers (flatten is a no-op on row-major data) with weights drawn from `seed`. */
function reference(spec: ModelSpec, seed: number): RefLayer[] {
  const next = rng(seed);
  const weights = () => Math.fround(0.6 * next());
  const layers: RefLayer[] = [];
  let [h, w, c] = spec.inputShape.length === 3 ? spec.inputShape : [1, 1, spec.inputShape[0] ?? 1];
  for (const layer of spec.layers) {
    if (layer.type === "conv2d") {
      layers.push(refConv(layer, c as number, weights));
      if (layer.padding === "valid") {
        h = (h as number) - layer.kernelSize[0] + 1;
        w = (w as number) - layer.kernelSize[1] + 1;
      }
      c = layer.filters;
    } else if (layer.type === "maxPool2d") {
      layers.push(refPool(layer.poolSize));
      h = Math.floor((h as number) / layer.poolSize[0]);
      w = Math.floor((w as number) / layer.poolSize[1]);
    } else if (layer.type === "flatten") {
      c = (h as number) * (w as number) * (c as number);
      h = 1;
      w = 1;
    } else if (layer.type === "dense") {
      layers.push(refDense(layer, c as number, weights));
      c = layer.units;
    }
  }
  return layers;
}

/** Mean clipped cross-entropy over the batch, the reference gradients (flat, tfjs order) and the correct count. */
function referenceStep(layers: RefLayer[], inputs: T4[], labels: number[]) {
  let outs = inputs;
  for (const layer of layers) outs = layer.forward(outs);
  let loss = 0;
  let correct = 0;
  const n = inputs.length;
  const dys = outs.map((z, b) => {
    const max = Math.max(...z.data);
    const exps = Array.from(z.data, (v) => Math.exp(v - max));
    const total = exps.reduce((p, q) => p + q, 0);
    const label = labels[b] as number;
    const p = (exps[label] as number) / total;
    loss -= Math.log(Math.min(Math.max(p, 1e-7), 1 - 1e-7));
    if (z.data.indexOf(max) === label) correct++;
    const dy = zeros(1, 1, z.c);
    for (let j = 0; j < z.c; j++) dy.data[j] = ((exps[j] as number) / total - (j === label ? 1 : 0)) / n;
    return dy;
  });
  let grads = dys;
  for (let i = layers.length - 1; i >= 0; i--) grads = (layers[i] as RefLayer).backward(grads);
  const flat = (pick: (l: RefLayer) => Float64Array[]) =>
    Float64Array.from(layers.flatMap((l) => pick(l).flatMap((a) => [...a])));
  return { loss: loss / n, correct, grads: flat((l) => l.grads), weights: flat((l) => l.params) };
}

const conv = (filters: number, k: [number, number], padding: "same" | "valid", activation: "relu" | "linear") =>
  ({ type: "conv2d", filters, kernelSize: k, padding, activation }) as const;

const cases: { name: string; spec: unknown; capacity: number; batch: number }[] = [
  {
    name: "the FedAvg CNN's layers on 12×12 images (5×5 same convs, 32 and 64 filters), 19 of 32 examples",
    capacity: 32,
    batch: 19,
    spec: {
      inputShape: [12, 12, 1],
      layers: [
        conv(32, [5, 5], "same", "relu"),
        { type: "maxPool2d", poolSize: [2, 2] },
        conv(64, [5, 5], "same", "relu"),
        { type: "maxPool2d", poolSize: [2, 2] },
        { type: "flatten" },
        { type: "dense", units: 32, activation: "relu" },
        { type: "dense", units: 10, activation: "softmax" },
      ],
      loss: "sparseCategoricalCrossentropy",
      numClasses: 10,
    },
  },
  {
    capacity: 6,
    batch: 5,
    name: "conv (same, 3×3, 32 filters) → pool over an odd width → conv (valid, 2×2, 64) → pool → dense relu → softmax",
    spec: {
      inputShape: [10, 9, 2],
      layers: [
        conv(32, [3, 3], "same", "relu"),
        { type: "maxPool2d", poolSize: [2, 2] },
        conv(64, [2, 2], "valid", "relu"),
        { type: "maxPool2d", poolSize: [2, 2] },
        { type: "flatten" },
        { type: "dense", units: 16, activation: "relu" },
        { type: "dense", units: 5, activation: "softmax" },
      ],
      loss: "sparseCategoricalCrossentropy",
      numClasses: 5,
    },
  },
  {
    capacity: 6,
    batch: 5,
    name: "conv (5×5 same) → conv (4×3 same, linear, no bias) → flatten → softmax",
    spec: {
      inputShape: [7, 8, 1],
      layers: [
        conv(8, [5, 5], "same", "relu"),
        { ...conv(16, [4, 3], "same", "linear"), useBias: false },
        { type: "flatten" },
        { type: "dense", units: 3, activation: "softmax" },
      ],
      loss: "sparseCategoricalCrossentropy",
      numClasses: 3,
    },
  },
  {
    capacity: 6,
    batch: 5,
    name: "an MLP: dense relu → dense linear → softmax",
    spec: {
      inputShape: [30],
      layers: [
        { type: "dense", units: 24, activation: "relu" },
        { type: "dense", units: 16, activation: "linear" },
        { type: "dense", units: 7, activation: "softmax" },
      ],
      loss: "categoricalCrossentropy",
      numClasses: 7,
    },
  },
];

describe("KernelNetwork gradients against a float64 reference", () => {
  for (const { name, spec: raw, capacity, batch: n } of cases) {
    it(name, () => {
      const spec = ModelSpecSchema.parse(raw);
      const plan = planKernelTraining(spec);
      if (!plan.supported) throw new Error(plan.reason);
      const size = spec.inputShape.reduce((p, d) => p * d, 1);
      const next = rng(99);
      const features = Float32Array.from({ length: 2 * n * size }, () => next() + 0.5);
      const labels = Int32Array.from({ length: 2 * n }, (_, i) => (i * 3) % plan.classes);
      const indices = Array.from({ length: n }, (_, i) => (i * 7 + 3) % (2 * n));
      const layers = reference(spec, 7);
      const weights = Float32Array.from(layers.flatMap((l) => l.params.flatMap((a) => [...a])));
      const network = new KernelNetwork(plan.layers, capacity);
      network.setWeights(weights);
      expect(network.getWeights()).toEqual(weights);
      network.loadBatch(features, labels, indices, 1);
      const got = network.computeGradients();
      const [h, w, c] = spec.inputShape.length === 3 ? spec.inputShape : [1, 1, size];
      const inputs = indices.map((i) => ({
        data: Float64Array.from(features.subarray(i * size, (i + 1) * size)),
        h: h as number,
        w: w as number,
        c: c as number,
      }));
      const want = referenceStep(
        layers,
        inputs,
        indices.map((i) => labels[i] as number),
      );
      expect(indices.length).toBe(n);
      expect(got.loss).toBeCloseTo(want.loss, 5);
      expect(got.correct).toBe(want.correct);
      const grads = network.getGradients();
      expect(grads.length).toBe(want.grads.length);
      const scale = want.grads.reduce((m, g) => Math.max(m, Math.abs(g)), 0);
      expect(scale).toBeGreaterThan(1e-3);
      let worst = 0;
      want.grads.forEach((g, i) => {
        worst = Math.max(worst, Math.abs((grads[i] as number) - g) / (1e-5 * scale + 1e-4 * Math.abs(g)));
      });
      expect(worst).toBeLessThan(1);

      // SGD with the FedProx term: w ← w − lr·(g + μ(w − w_global)), from the weights remembered before.
      network.rememberGlobals();
      network.applyGradients(0.1);
      const once = network.getWeights();
      network.applyGradients(0.1, 0.5);
      const twice = network.getWeights();
      once.forEach((value, i) => {
        const g = grads[i] as number;
        expect(value).toBeCloseTo((weights[i] as number) - 0.1 * g, 6);
        const expected = value - 0.1 * (g + 0.5 * (value - (weights[i] as number)));
        expect(twice[i]).toBeCloseTo(expected, 6);
      });
    });
  }
});
