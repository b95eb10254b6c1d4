import type { ModelSpec } from "@tributary/protocol";

/** A stride-1 convolution over NHWC with its zero padding (tfjs's split for `same`: the extra row goes after). */
export interface ConvPlan {
  readonly kind: "conv";
  readonly inH: number;
  readonly inW: number;
  readonly inC: number;
  readonly fh: number;
  readonly fw: number;
  readonly filters: number;
  readonly padTop: number;
  readonly padLeft: number;
  readonly outH: number;
  readonly outW: number;
  readonly relu: boolean;
  readonly useBias: boolean;
}

/** Max pooling with non-overlapping windows (strides = pool size), valid padding. */
export interface PoolPlan {
  readonly kind: "pool";
  readonly inH: number;
  readonly inW: number;
  readonly channels: number;
  readonly ph: number;
  readonly pw: number;
  readonly outH: number;
  readonly outW: number;
}

export interface DensePlan {
  readonly kind: "dense";
  readonly inputs: number;
  readonly units: number;
  /** `units` rounded up to a multiple of 8 (the GEMM's column block); only the softmax output is padded. */
  readonly paddedUnits: number;
  readonly activation: "linear" | "relu" | "softmax";
  readonly useBias: boolean;
}

export type LayerPlan = ConvPlan | PoolPlan | DensePlan;

/** The layers the WebAssembly training kernels run, or why they cannot run a spec (tfjs then trains it). */
export type KernelPlan =
  | { readonly supported: true; readonly layers: readonly LayerPlan[]; readonly classes: number }
  | { readonly supported: false; readonly reason: string };

const unsupported = (reason: string): KernelPlan => ({ supported: false, reason });

/**
 * Maps a parsed spec onto the kernels: stride-1 conv2d (relu or linear, filters a multiple of 8, and input channels
 * a multiple of 8 unless it is the first layer), max pooling with strides equal to the pool size and valid padding,
 * flatten, dense (relu or linear; units a multiple of 8 except the last), a final softmax dense layer, and a
 * cross-entropy loss. Anything else (dropout, other activations, mean squared error…) is left to tfjs.
 */
export function planKernelTraining(spec: ModelSpec): KernelPlan {
  if (spec.loss === "meanSquaredError") return unsupported("mean squared error loss");
  const layers: LayerPlan[] = [];
  let shape = [...spec.inputShape];
  const count = spec.layers.length;
  for (const [index, layer] of spec.layers.entries()) {
    const last = index === count - 1;
    switch (layer.type) {
      case "conv2d": {
        const [inH = 0, inW = 0, inC = 0] = shape;
        if (shape.length !== 3) return unsupported(`layer ${index}: conv2d over a rank-${shape.length} input`);
        if (layer.strides[0] !== 1 || layer.strides[1] !== 1) return unsupported(`layer ${index}: strided conv2d`);
        if (layer.activation !== "relu" && layer.activation !== "linear") {
          return unsupported(`layer ${index}: conv2d activation ${layer.activation}`);
        }
        if (layer.filters % 8 !== 0) return unsupported(`layer ${index}: filters not a multiple of 8`);
        if (layers.length > 0 && inC % 8 !== 0)
          return unsupported(`layer ${index}: input channels not a multiple of 8`);
        const [fh, fw] = layer.kernelSize;
        const same = layer.padding === "same";
        const padTop = same ? Math.floor((fh - 1) / 2) : 0;
        const padLeft = same ? Math.floor((fw - 1) / 2) : 0;
        const outH = same ? inH : inH - fh + 1;
        const outW = same ? inW : inW - fw + 1;
        layers.push({
          kind: "conv",
          inH,
          inW,
          inC,
          fh,
          fw,
          filters: layer.filters,
          padTop,
          padLeft,
          outH,
          outW,
          relu: layer.activation === "relu",
          useBias: layer.useBias,
        });
        shape = [outH, outW, layer.filters];
        break;
      }
      case "maxPool2d": {
        const [inH = 0, inW = 0, channels = 0] = shape;
        const [ph, pw] = layer.poolSize;
        const [sh, sw] = layer.strides ?? layer.poolSize;
        if (shape.length !== 3) return unsupported(`layer ${index}: maxPool2d over a rank-${shape.length} input`);
        if (layers.length === 0 || channels % 4 !== 0) {
          return unsupported(`layer ${index}: maxPool2d first or over channels not a multiple of 4`);
        }
        if (sh !== ph || sw !== pw || layer.padding !== "valid") {
          return unsupported(`layer ${index}: overlapping or padded pooling`);
        }
        const outH = Math.floor(inH / ph);
        const outW = Math.floor(inW / pw);
        layers.push({ kind: "pool", inH, inW, channels, ph, pw, outH, outW });
        shape = [outH, outW, channels];
        break;
      }
      case "flatten":
        shape = [shape.reduce((p, d) => p * d, 1)];
        break;
      case "dense": {
        if (shape.length !== 1) return unsupported(`layer ${index}: dense over a rank-${shape.length} input`);
        const { activation, units } = layer;
        const allowed = last ? activation === "softmax" : activation === "relu" || activation === "linear";
        if (!allowed || (activation !== "softmax" && activation !== "relu" && activation !== "linear")) {
          return unsupported(`layer ${index}: dense activation ${activation}`);
        }
        if (!last && units % 8 !== 0) return unsupported(`layer ${index}: dense units not a multiple of 8`);
        layers.push({
          kind: "dense",
          inputs: shape[0] ?? 0,
          units,
          paddedUnits: Math.ceil(units / 8) * 8,
          activation,
          useBias: layer.useBias,
        });
        shape = [units];
        break;
      }
      default:
        return unsupported(`layer ${index}: ${layer.type}`);
    }
  }
  const final = layers[layers.length - 1];
  if (final?.kind !== "dense" || final.activation !== "softmax") {
    return unsupported("the model does not end in a softmax dense layer");
  }
  return { supported: true, layers, classes: final.units };
}
