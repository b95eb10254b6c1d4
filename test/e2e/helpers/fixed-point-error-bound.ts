import type { QuantisedModel } from "@tributary/deterministic-inference";
import { type ModelSpecInput, ModelSpecSchema } from "@tributary/protocol";

/**
 * A float64 forward pass of a model spec (dense on vectors, conv2d, maxPool2d, flatten, relu, dropout; a final
 * softmax left out, so the answer is the logits), written here from the Keras/TensorFlow semantics, that also carries
 * two error bounds per activation through the layers, derived as follows. Let x be the exact real activations
 * (float64 here; its own error, ~1e-13, is covered by the callers' 1e-9 slack), w and b the float32 weights taken as
 * exact reals.
 *
 * Fixed point (ε_i per activation): inputs are rounded to F_A bits, so |x̂_i − x_i| ≤ ε_i = 2^-(F_A+1). At a dense or
 * conv2d output j over inputs i ∈ R_j, |ŵ − w| ≤ δ_w = 2^-(F_W+1), |b̂ − b| ≤ δ_b = 2^-(F_A+F_W+1), the integer sum is
 * exact, and the shift rounds to nearest (error ≤ ρ = 2^-(F_A+1)). Since x̂ŵ − xw = x̂(ŵ − w) + (x̂ − x)w,
 *   |ŷ_j − y_j| ≤ ε_j = δ_w Σ_i (|x_i| + ε_i) + Σ_i ε_i |w_ij| + δ_b + ρ.
 * ReLU is 1-Lipschitz and clamps both values at 0: where y_j < 0 the bound becomes max(0, y_j + ε_j). Max-pooling
 * gives the largest ε of its window. This holds while nothing saturates: the pass checks |y| + ε < 2^23 · 2^-F_A.
 *
 * Float32 (η_i), for tfjs's answer: any order of float32 sums of n products plus a bias is within
 * γ_{n+1} (Σ_i |x̃_i w_ij| + |b_j|) of the exact sum of its inputs (γ_k = ku / (1 − ku), u = 2^-24, with or without
 * fused multiply-adds), and its inputs x̃ are within η of x, so
 *   |ỹ_j − y_j| ≤ η_j = γ_{n+1} (Σ_i (|x_i| + η_i)|w_ij| + |b_j|) + Σ_i η_i |w_ij|,
 * through ReLU and max-pooling as ε.
 */
export interface BoundedLogits {
  readonly logits: Float64Array;
  /** ε of each logit: |fixed-point logit (dequantised) − exact logit|. */
  readonly fixedPoint: Float64Array;
  /** η of each logit: |float32 logit − exact logit|. */
  readonly float32: Float64Array;
}

const u = 2 ** -24;
const gamma = (k: number) => (k * u) / (1 - k * u);

/** Values with their two bounds, one per activation. */
interface Bounded {
  readonly y: Float64Array;
  readonly eps: Float64Array;
  readonly eta: Float64Array;
}

interface Weighted {
  readonly kernel: Float32Array;
  readonly bias: Float32Array | undefined;
  readonly bits: number;
}

function windowAxis(n: number, k: number, s: number, padding: "valid" | "same") {
  if (padding === "valid") return { out: Math.floor((n - k) / s) + 1, before: 0 };
  const out = Math.ceil(n / s);
  return { out, before: Math.floor(Math.max(0, (out - 1) * s + k - n) / 2) };
}

const make = (n: number): Bounded => ({ y: new Float64Array(n), eps: new Float64Array(n), eta: new Float64Array(n) });

/**
 * The outputs of one position of a dense or conv2d layer (all its units or filters) from the inputs `taps` (indices
 * into `x`), input `t` meeting the kernel entries `rows[t] + o` for output `o`.
 */
function weightedOutputs(
  x: Bounded,
  taps: Int32Array,
  rows: Int32Array,
  layer: Weighted,
  outputs: number,
  fanIn: number,
  fa: number,
  out: Bounded,
  at: number,
): void {
  const dw = 2 ** -(layer.bits + 1);
  const db = layer.bias === undefined ? 0 : 2 ** -(fa + layer.bits + 1);
  const absXW = new Float64Array(outputs);
  const epsW = new Float64Array(outputs);
  const etaW = new Float64Array(outputs);
  const y = new Float64Array(outputs);
  if (layer.bias !== undefined) y.set(layer.bias);
  let sumX = 0;
  let sumEps = 0;
  for (let t = 0; t < taps.length; t++) {
    const i = taps[t] as number;
    const xi = x.y[i] as number;
    const ei = x.eps[i] as number;
    const hi = x.eta[i] as number;
    sumX += Math.abs(xi);
    sumEps += ei;
    if (xi === 0 && ei === 0 && hi === 0) continue;
    const ax = Math.abs(xi);
    const row = rows[t] as number;
    for (let o = 0; o < outputs; o++) {
      const w = layer.kernel[row + o] as number;
      const aw = Math.abs(w);
      y[o] = (y[o] as number) + xi * w;
      absXW[o] = (absXW[o] as number) + ax * aw;
      epsW[o] = (epsW[o] as number) + ei * aw;
      etaW[o] = (etaW[o] as number) + hi * aw;
    }
  }
  const g = gamma(fanIn + 1);
  for (let o = 0; o < outputs; o++) {
    const b = Math.abs((layer.bias?.[o] as number | undefined) ?? 0);
    out.y[at + o] = y[o] as number;
    out.eps[at + o] = dw * (sumX + sumEps) + (epsW[o] as number) + db + 2 ** -(fa + 1);
    out.eta[at + o] = g * ((absXW[o] as number) + (etaW[o] as number) + b) + (etaW[o] as number);
  }
}

function relu(x: Bounded): void {
  for (let i = 0; i < x.y.length; i++) {
    const y = x.y[i] as number;
    if (y >= 0) continue;
    x.eps[i] = Math.max(0, y + (x.eps[i] as number));
    x.eta[i] = Math.max(0, y + (x.eta[i] as number));
    x.y[i] = 0;
  }
}

export function boundedLogits(
  specInput: ModelSpecInput,
  weights: Float32Array,
  quantised: QuantisedModel,
  example: Float32Array,
): BoundedLogits {
  const spec = ModelSpecSchema.parse(specInput);
  const fa = quantised.activationFractionBits;
  const bitsOfLayers = quantised.layers.flatMap((layer) =>
    layer.op === "dense" || layer.op === "conv2d" ? [layer.weightFractionBits] : [],
  );
  let offset = 0;
  let weighted = 0;
  const take = (n: number) => {
    const values = weights.subarray(offset, offset + n);
    offset += n;
    return values;
  };
  const next = (kernelSize: number, outputs: number, useBias: boolean): Weighted => ({
    kernel: take(kernelSize),
    bias: useBias ? take(outputs) : undefined,
    bits: bitsOfLayers[weighted++] as number,
  });
  let x = make(example.length);
  x.y.set(example);
  x.eps.fill(2 ** -(fa + 1));
  let shape = [...spec.inputShape];
  const limit = (2 ** 23 - 1) * 2 ** -fa;
  const checkActivation = (name: string, last: boolean) => {
    if (name !== "relu" && name !== "linear" && !(last && name === "softmax")) throw new Error(`activation ${name}`);
  };
  const checkSaturation = (values: Bounded) => {
    for (let i = 0; i < values.y.length; i++) {
      if (Math.abs(values.y[i] as number) + (values.eps[i] as number) >= limit)
        throw new Error("activations may saturate");
    }
  };

  spec.layers.forEach((layer, index) => {
    const last = index === spec.layers.length - 1;
    if (layer.type === "dense") {
      if (shape.length !== 1) throw new Error("this reference takes dense layers on vectors only");
      const inputs = shape[0] as number;
      const w = next(inputs * layer.units, layer.units, layer.useBias);
      const out = make(layer.units);
      const taps = Int32Array.from({ length: inputs }, (_, i) => i);
      weightedOutputs(
        x,
        taps,
        taps.map((i) => i * layer.units),
        w,
        layer.units,
        inputs,
        fa,
        out,
        0,
      );
      checkSaturation(out);
      checkActivation(layer.activation, last);
      if (layer.activation === "relu") relu(out);
      x = out;
      shape = [layer.units];
    } else if (layer.type === "conv2d" || layer.type === "maxPool2d") {
      const [h, w, c] = shape as [number, number, number];
      const [kh, kw] = layer.type === "conv2d" ? layer.kernelSize : layer.poolSize;
      const [sh, sw] = layer.type === "conv2d" ? layer.strides : (layer.strides ?? layer.poolSize);
      const rows = windowAxis(h, kh, sh, layer.padding);
      const cols = windowAxis(w, kw, sw, layer.padding);
      const outputs = layer.type === "conv2d" ? layer.filters : c;
      const out = make(rows.out * cols.out * outputs);
      const kernel = layer.type === "conv2d" ? next(kh * kw * c * outputs, outputs, layer.useBias) : undefined;
      for (let oy = 0; oy < rows.out; oy++) {
        for (let ox = 0; ox < cols.out; ox++) {
          const at = (oy * cols.out + ox) * outputs;
          const taps: number[] = [];
          const kernelRows: number[] = [];
          const pixels: number[] = [];
          for (let dy = 0; dy < kh; dy++) {
            for (let dx = 0; dx < kw; dx++) {
              const iy = oy * sh - rows.before + dy;
              const ix = ox * sw - cols.before + dx;
              if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
              pixels.push((iy * w + ix) * c);
              for (let ch = 0; ch < c; ch++) {
                taps.push((iy * w + ix) * c + ch);
                kernelRows.push(((dy * kw + dx) * c + ch) * outputs);
              }
            }
          }
          if (kernel !== undefined) {
            weightedOutputs(
              x,
              Int32Array.from(taps),
              Int32Array.from(kernelRows),
              kernel,
              outputs,
              kh * kw * c,
              fa,
              out,
              at,
            );
            continue;
          }
          for (let ch = 0; ch < c; ch++) {
            let best = Number.NEGATIVE_INFINITY;
            let eps = 0;
            let eta = 0;
            for (const pixel of pixels) {
              best = Math.max(best, x.y[pixel + ch] as number);
              eps = Math.max(eps, x.eps[pixel + ch] as number);
              eta = Math.max(eta, x.eta[pixel + ch] as number);
            }
            out.y[at + ch] = best;
            out.eps[at + ch] = eps;
            out.eta[at + ch] = eta;
          }
        }
      }
      if (layer.type === "conv2d") {
        checkSaturation(out);
        checkActivation(layer.activation, false);
        if (layer.activation === "relu") relu(out);
      }
      x = out;
      shape = [rows.out, cols.out, outputs];
    } else if (layer.type === "flatten") {
      shape = [x.y.length];
    } else if (layer.type === "activation") {
      checkActivation(layer.activation, last);
      if (layer.activation === "relu") relu(x);
    }
  });
  return { logits: x.y, fixedPoint: x.eps, float32: x.eta };
}
