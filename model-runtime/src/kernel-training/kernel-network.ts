import { Wasm, type WasmMemory } from "@tributary/protocol";
import { GemmCall, KernelArena, paddedRows, tileRows } from "./gemm-call.js";
import type { GemmShape } from "./gemm-kernel.js";
import type { ConvPlan, DensePlan, LayerPlan } from "./kernel-plan.js";
import { maxPoolBackward, maxPoolForward, type StridedView } from "./max-pool-loops.js";

/** Clipping of probabilities before the log, as Keras, tfjs-layers and `modelObjective` do. */
const EPSILON = 1e-7;

/** One trainable tensor: `rows × cols` floats at float index `w` (row stride `stride`), its gradient at `g`. */
interface ParamSlot {
  readonly w: number;
  readonly g: number;
  readonly rows: number;
  readonly cols: number;
  readonly stride: number;
}

interface Step {
  readonly name: string;
  forward(heap: Float32Array): void;
  backward(heap: Float32Array): void;
}

/** A tensor `[batch, h, w, c]` between two layers: its activation view and the view its gradient goes to. */
interface Boundary {
  readonly h: number;
  readonly w: number;
  readonly c: number;
  readonly act: StridedView;
  /** Whether `act` is a plain row-major buffer (a GEMM may write its rows directly). */
  readonly actContiguous: boolean;
  readonly grad: StridedView | undefined;
  readonly gradContiguous: boolean;
}

const contiguous = (base: number, h: number, w: number, c: number): StridedView => ({
  base,
  image: h * w * c,
  row: w * c,
  pixel: c,
});

/** The interior of a buffer of `hp × wp` pixels of `c` channels per image, `top` rows and `left` columns in. */
const paddedView = (base: number, hp: number, wp: number, pixel: number, top: number, left: number): StridedView => ({
  base: base + (top * wp + left) * pixel,
  image: hp * wp * pixel,
  row: wp * pixel,
  pixel,
});

/**
 * A row stride for rows of `floats` that a GEMM streams as its B operand: a multiple of 128 bytes would map the
 * rows of a K block onto a few L1 sets (conflict misses: measured 3× slower for a 3136×512 weight), so such
 * strides get 16 bytes more.
 */
export function spreadStride(floats: number): number {
  return floats % 32 === 0 ? floats + 4 : floats;
}

/** Copies `[batch, h, w, c]` between two strided views. */
function copyView(
  heap: Float32Array,
  from: StridedView,
  to: StridedView,
  batch: number,
  h: number,
  w: number,
  c: number,
) {
  for (let b = 0; b < batch; b++) {
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const src = from.base + b * from.image + y * from.row + x * from.pixel;
        heap.copyWithin(to.base + b * to.image + y * to.row + x * to.pixel, src, src + c);
      }
    }
  }
}

/** g ← g·[y > 0] over `[batch, h, w, c]` (the relu's gradient, from its output y). */
function reluMask(heap: Float32Array, y: StridedView, g: StridedView, batch: number, h: number, w: number, c: number) {
  for (let b = 0; b < batch; b++) {
    for (let r = 0; r < h; r++) {
      for (let x = 0; x < w; x++) {
        const yi = y.base + b * y.image + r * y.row + x * y.pixel;
        const gi = g.base + b * g.image + r * g.row + x * g.pixel;
        for (let k = 0; k < c; k++) if (!((heap[yi + k] as number) > 0)) heap[gi + k] = 0;
      }
    }
  }
}

/** bias gradient: column sums of `[batch, h, w, c]` into `out[c]` (float64 accumulation). */
function columnSums(heap: Float32Array, g: StridedView, batch: number, h: number, w: number, c: number, out: number) {
  const totals = new Float64Array(c);
  for (let b = 0; b < batch; b++) {
    for (let r = 0; r < h; r++) {
      for (let x = 0; x < w; x++) {
        const gi = g.base + b * g.image + r * g.row + x * g.pixel;
        for (let k = 0; k < c; k++) totals[k] = (totals[k] as number) + (heap[gi + k] as number);
      }
    }
  }
  heap.set(totals, out);
}

/**
 * A sequential network (see `planKernelTraining`) trained in one WebAssembly memory with the GEMM of
 * `gemm-kernel.ts`. Every buffer (weights, gradients, activations, zero-padded copies, row and segment tables) is
 * laid out once for a batch capacity, so a step allocates nothing. A step: load the batch, forward (GEMMs with fused
 * bias and relu, max pooling), softmax cross-entropy and its gradient, backward (filter and input gradients as
 * GEMMs over the padded tensors, the pooling gradient fused with the relu's), then SGD with the FedProx term.
 *
 * Weights go in and out in tfjs's order and layout (`setWeights`, `getWeights`: each layer's kernel, then bias).
 */
export class KernelNetwork {
  readonly capacity: number;
  readonly classes: number;
  /** Trainable parameters (the length of `getWeights()`). */
  readonly size: number;
  private readonly memory: WasmMemory;
  private readonly heap: Float32Array;
  private readonly steps: Step[] = [];
  private readonly params: ParamSlot[] = [];
  private readonly input: Boundary;
  private readonly logits: number;
  private readonly logitsStride: number;
  private readonly lossGrad: number;
  private readonly globals: number;
  private count = 0;
  /** Milliseconds per named part, accumulated while `profile` is set (see `profileParts`). */
  private profile: Map<string, number> | undefined;
  private readonly timed = (name: string, run: () => unknown): void => {
    const profile = this.profile;
    if (profile === undefined) {
      run();
      return;
    }
    const started = cpuMilliseconds();
    run();
    profile.set(name, (profile.get(name) ?? 0) + cpuMilliseconds() - started);
  };
  private readonly labels: Int32Array;

  constructor(plans: readonly LayerPlan[], capacity: number) {
    this.capacity = capacity;
    const B = capacity;
    const arena = new KernelArena();
    const gemms: GemmCall[] = [];
    const floats = (count: number) => arena.alloc(count) / 4;

    // Boundaries: boundary i is layer i's input. A conv reads a zero-padded input and wants its output gradient
    // zero-padded for its input-gradient GEMM; everything else is row-major with 8 spare rows for GEMM tiles.
    const boundaries: Boundary[] = [];
    for (let i = 0; i <= plans.length; i++) {
      const consumer = plans[i];
      const producer = plans[i - 1];
      const [h, w, c] = boundaryShape(plans, i);
      let act: StridedView;
      let actContiguous = false;
      if (consumer?.kind === "conv") {
        const hp = consumer.outH + consumer.fh - 1;
        const wp = consumer.outW + consumer.fw - 1;
        act = paddedView(floats(B * hp * wp * c), hp, wp, c, consumer.padTop, consumer.padLeft);
      } else {
        act = contiguous(floats(B * h * w * c + 8 * w * c), h, w, c);
        actContiguous = true;
      }
      let grad: StridedView | undefined;
      let gradContiguous = false;
      if (i === 0) grad = undefined;
      else if (producer?.kind === "conv") {
        const hp = producer.inH + producer.fh - 1;
        const wp = producer.inW + producer.fw - 1;
        const top = producer.fh - 1 - producer.padTop;
        const left = producer.fw - 1 - producer.padLeft;
        const pixel = spreadStride(c);
        grad = paddedView(floats(B * hp * wp * pixel), hp, wp, pixel, top, left);
      } else {
        grad = contiguous(floats(B * h * w * c + 8 * w * c), h, w, c);
        gradContiguous = true;
      }
      boundaries.push({ h, w, c, act, actContiguous, grad, gradContiguous });
    }

    plans.forEach((plan, index) => {
      const inB = boundaries[index] as Boundary;
      const outB = boundaries[index + 1] as Boundary;
      const next = plans[index + 1];
      if (plan.kind === "pool") {
        const shape = { batch: B, outH: plan.outH, outW: plan.outW, channels: plan.channels, ph: plan.ph, pw: plan.pw };
        const producer = plans[index - 1];
        const fuseRelu = producer !== undefined && producer.kind !== "pool" && isRelu(producer);
        const inGrad = inB.grad;
        this.steps.push({
          name: `${index}.pool`,
          forward: (heap) => maxPoolForward(heap, inB.act, outB.act, shape),
          backward: (heap) => {
            if (inGrad !== undefined && outB.grad !== undefined) {
              maxPoolBackward(heap, inB.act, outB.grad, inGrad, shape, fuseRelu);
            }
          },
        });
        return;
      }
      const reluMaskedByNext = next?.kind === "pool";
      if (plan.kind === "conv") this.conv(plan, inB, outB, reluMaskedByNext, arena, gemms, B);
      else this.dense(plan, inB, outB, arena, gemms, B);
    });

    const last = plans[plans.length - 1] as DensePlan;
    const outB = boundaries[plans.length] as Boundary;
    this.classes = last.units;
    this.logits = outB.act.base;
    this.logitsStride = outB.act.pixel;
    this.lossGrad = (outB.grad as StridedView).base;
    this.input = boundaries[0] as Boundary;
    this.size = this.params.reduce((n, p) => n + p.rows * p.cols, 0);
    this.globals = floats(this.size);
    this.labels = new Int32Array(B);

    this.memory = new Wasm.Memory({ initial: Math.ceil(arena.bytes / 65_536) + 1 });
    arena.writeTables(this.memory);
    for (const gemm of gemms) gemm.bind(this.memory);
    this.heap = new Float32Array(this.memory.buffer);
  }

  private conv(
    plan: ConvPlan,
    inB: Boundary,
    outB: Boundary,
    reluMaskedByNext: boolean,
    arena: KernelArena,
    gemms: GemmCall[],
    B: number,
  ): void {
    const { fh, fw, inC: C, filters: Fo, outH, outW, inH, inW } = plan;
    const taps = fh * fw;
    const floats = (count: number) => arena.alloc(count) / 4;
    const byte = (i: number) => i * 4;
    const WS = spreadStride(Fo);
    const weights = floats(taps * C * WS);
    const kRows = taps * C;
    const dwMr = tileRows(kRows);
    const grads = floats(paddedRows(kRows, dwMr) * WS);
    const bias = floats(Fo);
    const biasGrad = floats(Fo);
    this.params.push({ w: weights, g: grads, rows: kRows, cols: Fo, stride: WS });
    if (plan.useBias) this.params.push({ w: bias, g: biasGrad, rows: 1, cols: Fo, stride: Fo });

    const x = inB.act;
    const corner = x.base - plan.padTop * x.row - plan.padLeft * x.pixel;
    const rows = B * outH * outW;
    const mr = tileRows(rows);
    const y = outB.actContiguous ? outB.act : contiguous(floats(paddedRows(rows, mr) * Fo), outH, outW, Fo);
    const fwdRows: number[] = [];
    for (let b = 0; b < B; b++)
      for (let oh = 0; oh < outH; oh++)
        for (let ow = 0; ow < outW; ow++) fwdRows.push(byte(corner + b * x.image + oh * x.row + ow * x.pixel));
    const fwdSegs: number[] = [];
    for (let kh = 0; kh < fh; kh++)
      for (let kw = 0; kw < fw; kw++)
        fwdSegs.push(byte(kh * x.row + kw * x.pixel), byte(weights + (kh * fw + kw) * C * WS));
    const forward = new GemmCall(arena, {
      shape: shape(
        mr,
        Fo,
        { segLen: C, aK: 4, bK: WS * 4, cStride: Fo * 4 },
        plan.relu ? "biasRelu" : "bias",
        "rowsOuter",
      ),
      rowBases: fwdRows,
      segments: fwdSegs,
      c: byte(y.base),
      bias: byte(bias),
    });
    gemms.push(forward);

    const g = outB.grad as StridedView;
    const dwRows: number[] = [];
    for (let kh = 0; kh < fh; kh++)
      for (let kw = 0; kw < fw; kw++)
        for (let c = 0; c < C; c++) dwRows.push(byte(corner + kh * x.row + kw * x.pixel + c));
    const dwSegs: number[] = [];
    for (let b = 0; b < B; b++)
      for (let oh = 0; oh < outH; oh++)
        dwSegs.push(byte(b * x.image + oh * x.row), byte(g.base + b * g.image + oh * g.row));
    const filterGrad = new GemmCall(arena, {
      shape: shape(
        dwMr,
        Fo,
        { segLen: outW, aK: byte(x.pixel), bK: byte(g.pixel), cStride: WS * 4 },
        "none",
        "rowsOuter",
      ),
      rowBases: dwRows,
      segments: dwSegs,
      c: byte(grads),
      bias: 0,
    });
    gemms.push(filterGrad);

    let inputGrad: GemmCall | undefined;
    let rotate: ((heap: Float32Array) => void) | undefined;
    let copyBack: ((heap: Float32Array) => void) | undefined;
    const dxView = inB.grad;
    if (dxView !== undefined) {
      const RS = spreadStride(C);
      const rotated = floats(taps * Fo * RS);
      rotate = (heap) => {
        for (let kh = 0; kh < fh; kh++)
          for (let kw = 0; kw < fw; kw++) {
            const src = weights + ((fh - 1 - kh) * fw + (fw - 1 - kw)) * C * WS;
            const dst = rotated + (kh * fw + kw) * Fo * RS;
            for (let c = 0; c < C; c++)
              for (let f = 0; f < Fo; f++) heap[dst + f * RS + c] = heap[src + c * WS + f] as number;
          }
      };
      const dxRowsCount = B * inH * inW;
      const dxMr = tileRows(dxRowsCount);
      const target = inB.gradContiguous ? dxView : contiguous(floats(paddedRows(dxRowsCount, dxMr) * C), inH, inW, C);
      if (target !== dxView) copyBack = (heap) => copyView(heap, target, dxView, B, inH, inW, C);
      const gCorner = g.base - (fh - 1 - plan.padTop) * g.row - (fw - 1 - plan.padLeft) * g.pixel;
      const dxRows: number[] = [];
      for (let b = 0; b < B; b++)
        for (let ih = 0; ih < inH; ih++)
          for (let iw = 0; iw < inW; iw++) dxRows.push(byte(gCorner + b * g.image + ih * g.row + iw * g.pixel));
      const dxSegs: number[] = [];
      for (let kh = 0; kh < fh; kh++)
        for (let kw = 0; kw < fw; kw++)
          dxSegs.push(byte(kh * g.row + kw * g.pixel), byte(rotated + (kh * fw + kw) * Fo * RS));
      inputGrad = new GemmCall(arena, {
        shape: shape(dxMr, C, { segLen: Fo, aK: 4, bK: RS * 4, cStride: C * 4 }, "none", "rowsOuter"),
        rowBases: dxRows,
        segments: dxSegs,
        c: byte(target.base),
        bias: 0,
      });
      gemms.push(inputGrad);
    }

    const timed = this.timed;
    const copyOut = y === outB.act ? undefined : (heap: Float32Array) => copyView(heap, y, outB.act, B, outH, outW, Fo);
    this.steps.push({
      name: `${this.steps.length}.conv`,
      forward: (heap) => {
        timed("conv forward GEMM", () => forward.run());
        copyOut?.(heap);
      },
      backward: (heap) => {
        if (plan.relu && !reluMaskedByNext) reluMask(heap, y, g, B, outH, outW, Fo);
        timed("conv filter-gradient GEMM", () => filterGrad.run());
        timed("conv bias gradient", () => plan.useBias && columnSums(heap, g, B, outH, outW, Fo, biasGrad));
        if (inputGrad !== undefined) {
          timed("conv rotate filter", () => rotate?.(heap));
          timed("conv input-gradient GEMM", () => inputGrad.run());
          copyBack?.(heap);
        }
      },
    });
  }

  private dense(
    plan: DensePlan,
    inB: Boundary,
    outB: Boundary,
    arena: KernelArena,
    gemms: GemmCall[],
    B: number,
  ): void {
    const { inputs: K, units, paddedUnits: P } = plan;
    const B8 = Math.ceil(B / 8) * 8;
    const floats = (count: number) => arena.alloc(count) / 4;
    const byte = (i: number) => i * 4;
    const dwMr = tileRows(K);
    const WS = spreadStride(P);
    const weights = floats(K * WS);
    const grads = floats(paddedRows(K, dwMr) * WS);
    const bias = floats(P);
    const biasGrad = floats(P);
    this.params.push({ w: weights, g: grads, rows: K, cols: units, stride: WS });
    if (plan.useBias) this.params.push({ w: bias, g: biasGrad, rows: 1, cols: units, stride: P });
    const x = inB.act;
    const z = outB.act;
    const dz = outB.grad as StridedView;
    const mr = tileRows(B);
    const forward = new GemmCall(arena, {
      shape: shape(
        mr,
        P,
        { segLen: K, aK: 4, bK: WS * 4, cStride: P * 4 },
        plan.activation === "relu" ? "biasRelu" : "bias",
        "columnsOuter",
      ),
      rowBases: Array.from({ length: B }, (_, b) => byte(x.base + b * x.image)),
      segments: [0, byte(weights)],
      c: byte(z.base),
      bias: byte(bias),
    });
    const filterGrad = new GemmCall(arena, {
      shape: shape(dwMr, P, { segLen: B, aK: byte(x.image), bK: P * 4, cStride: WS * 4 }, "none", "rowsOuter"),
      rowBases: Array.from({ length: K }, (_, j) => byte(x.base + j)),
      segments: [0, byte(dz.base)],
      c: byte(grads),
      bias: 0,
    });
    gemms.push(forward, filterGrad);
    const dxView = inB.grad;
    let inputGrad: GemmCall | undefined;
    const TS = spreadStride(B8);
    const dzT = floats(P * TS);
    const dxT = floats(paddedRows(K, tileRows(K)) * B8);
    if (dxView !== undefined) {
      inputGrad = new GemmCall(arena, {
        shape: shape(tileRows(K), B8, { segLen: P, aK: 4, bK: TS * 4, cStride: B8 * 4 }, "none", "rowsOuter"),
        rowBases: Array.from({ length: K }, (_, j) => byte(weights + j * WS)),
        segments: [0, byte(dzT)],
        c: byte(dxT),
        bias: 0,
      });
      gemms.push(inputGrad);
    }
    const { h, w, c } = inB;
    const timed = this.timed;
    this.steps.push({
      name: `${this.steps.length}.dense`,
      forward: () => timed("dense forward GEMM", () => forward.run()),
      backward: (heap) => {
        if (plan.activation === "relu") reluMask(heap, z, dz, B, 1, 1, P);
        timed("dense filter-gradient GEMM", () => filterGrad.run());
        if (plan.useBias) columnSums(heap, dz, B, 1, 1, P, biasGrad);
        if (inputGrad === undefined || dxView === undefined) return;
        for (let b = 0; b < B; b++)
          for (let j = 0; j < P; j++) heap[dzT + j * TS + b] = heap[dz.base + b * P + j] as number;
        timed("dense input-gradient GEMM", () => inputGrad.run());
        for (let b = 0; b < B; b++) {
          let j = 0;
          for (let r = 0; r < h; r++)
            for (let col = 0; col < w; col++) {
              const at = dxView.base + b * dxView.image + r * dxView.row + col * dxView.pixel;
              for (let k = 0; k < c; k++, j++) heap[at + k] = heap[dxT + j * B8 + b] as number;
            }
        }
      },
    });
  }

  /** Overwrites the weights from a flat vector in tfjs order and layout. */
  setWeights(flat: Float32Array): void {
    if (flat.length !== this.size) throw new RangeError(`expected ${this.size} weights, got ${flat.length}`);
    let offset = 0;
    for (const p of this.params) {
      for (let r = 0; r < p.rows; r++)
        this.heap.set(flat.subarray(offset + r * p.cols, offset + (r + 1) * p.cols), p.w + r * p.stride);
      offset += p.rows * p.cols;
    }
  }

  /** The weights as a flat vector in tfjs order and layout. */
  getWeights(): Float32Array {
    return this.gather((p) => p.w);
  }

  /** The gradient of the latest `computeGradients`, flat in tfjs order and layout (into `into` when given). */
  getGradients(into?: Float32Array): Float32Array {
    return this.gather((p) => p.g, into);
  }

  private gather(at: (p: ParamSlot) => number, into?: Float32Array): Float32Array {
    const flat = into ?? new Float32Array(this.size);
    let offset = 0;
    for (const p of this.params) {
      const base = at(p);
      for (let r = 0; r < p.rows; r++)
        flat.set(this.heap.subarray(base + r * p.stride, base + r * p.stride + p.cols), offset + r * p.cols);
      offset += p.rows * p.cols;
    }
    return flat;
  }

  /**
   * Loads examples `indices` of `features` (row-major, `scale` applied) with their labels as the batch; the rest of
   * the capacity is zero and contributes nothing.
   */
  loadBatch(features: Float32Array, labels: Int32Array, indices: ArrayLike<number>, scale: number): void {
    const n = indices.length;
    if (n > this.capacity) throw new RangeError(`batch of ${n} exceeds the capacity ${this.capacity}`);
    const { act, h, w, c } = this.input;
    const size = h * w * c;
    const heap = this.heap;
    for (let b = 0; b < this.capacity; b++) {
      const index = b < n ? (indices[b] as number) : -1;
      let j = index * size;
      for (let r = 0; r < h; r++)
        for (let col = 0; col < w; col++) {
          const at = act.base + b * act.image + r * act.row + col * act.pixel;
          for (let k = 0; k < c; k++, j++) heap[at + k] = index < 0 ? 0 : (features[j] as number) * scale;
        }
      this.labels[b] = index < 0 ? 0 : (labels[index] as number);
    }
    this.count = n;
  }

  /**
   * Forward and backward over the loaded batch: fills the gradient of the batch's summed cross-entropy (probabilities
   * clipped to [1e-7, 1 − 1e-7] as tfjs does) divided by `divisor` (default: the batch's size, i.e. the mean; a
   * thread's share of a larger batch divides by the whole batch's size, so the threads' gradients add up), and
   * returns that loss and the number of correct predictions.
   */
  computeGradients(divisor = this.count): { loss: number; correct: number } {
    const heap = this.heap;
    for (const step of this.steps) this.timed(`${step.name} forward`, () => step.forward(heap));
    let loss = 0;
    let correct = 0;
    const K = this.classes;
    const stride = this.logitsStride;
    for (let b = 0; b < this.capacity; b++) {
      const z = this.logits + b * stride;
      const g = this.lossGrad + b * stride;
      for (let j = 0; j < stride; j++) heap[g + j] = 0;
      if (b >= this.count) continue;
      let max = heap[z] as number;
      let argmax = 0;
      for (let j = 1; j < K; j++) {
        if ((heap[z + j] as number) > max) {
          max = heap[z + j] as number;
          argmax = j;
        }
      }
      let total = 0;
      for (let j = 0; j < K; j++) total += Math.exp((heap[z + j] as number) - max);
      const label = this.labels[b] as number;
      if (argmax === label) correct++;
      const pLabel = Math.fround(Math.exp((heap[z + label] as number) - max) / total);
      loss -= Math.log(Math.min(Math.max(pLabel, EPSILON), 1 - EPSILON));
      // d(−log clip(p_y))/dz = p − onehot(y) inside the clip range; the clip stops the gradient outside it.
      if (pLabel > EPSILON && pLabel < 1 - EPSILON) {
        for (let j = 0; j < K; j++) heap[g + j] = Math.exp((heap[z + j] as number) - max) / total / divisor;
        heap[g + label] = (heap[g + label] as number) - 1 / divisor;
      }
    }
    for (let i = this.steps.length - 1; i >= 0; i--) {
      const step = this.steps[i] as Step;
      this.timed(`${step.name} backward`, () => step.backward(heap));
    }
    return { loss: loss / divisor, correct };
  }

  /**
   * Runs `steps` gradient computations and SGD updates on the loaded batch and returns the CPU milliseconds each
   * named part took per step (parts nest: a layer's backward includes its GEMMs). For the benchmark's profile.
   */
  profileParts(steps: number, learningRate: number): Map<string, number> {
    const profile = new Map<string, number>();
    this.profile = profile;
    try {
      for (let i = 0; i < steps; i++) {
        this.computeGradients();
        this.timed("SGD update", () => this.applyGradients(learningRate));
      }
    } finally {
      this.profile = undefined;
    }
    for (const [name, ms] of profile) profile.set(name, ms / steps);
    return profile;
  }

  /** Remembers `flat` (tfjs order and layout), or else the current weights, as w_global for `applyGradients`. */
  rememberGlobals(flat?: Float32Array): void {
    if (flat !== undefined) {
      if (flat.length !== this.size) throw new RangeError(`expected ${this.size} weights, got ${flat.length}`);
      this.heap.set(flat, this.globals);
      return;
    }
    let offset = this.globals;
    for (const p of this.params) {
      for (let r = 0; r < p.rows; r++)
        this.heap.copyWithin(offset + r * p.cols, p.w + r * p.stride, p.w + r * p.stride + p.cols);
      offset += p.rows * p.cols;
    }
  }

  /** w ← w − lr·(g + μ(w − w_global)) (μ = 0: plain SGD). */
  applyGradients(learningRate: number, mu = 0): void {
    const heap = this.heap;
    let global = this.globals;
    for (const p of this.params) {
      for (let r = 0; r < p.rows; r++) {
        const w = p.w + r * p.stride;
        const g = p.g + r * p.stride;
        if (mu > 0) {
          const wg = global + r * p.cols;
          for (let j = 0; j < p.cols; j++) {
            const wj = heap[w + j] as number;
            heap[w + j] = wj - learningRate * ((heap[g + j] as number) + mu * (wj - (heap[wg + j] as number)));
          }
        } else {
          for (let j = 0; j < p.cols; j++)
            heap[w + j] = (heap[w + j] as number) - learningRate * (heap[g + j] as number);
        }
      }
      global += p.rows * p.cols;
    }
  }
}

/** CPU time of this process in ms (user + system): a profile on a shared machine counts our own work only. */
function cpuMilliseconds(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

function isRelu(plan: ConvPlan | DensePlan): boolean {
  return plan.kind === "conv" ? plan.relu : plan.activation === "relu";
}

function shape(
  mr: number,
  n: number,
  strides: Pick<GemmShape, "segLen" | "aK" | "bK" | "cStride">,
  epilogue: GemmShape["epilogue"],
  order: GemmShape["order"],
): GemmShape {
  return { mr, n, ...strides, accumulate: false, epilogue, order };
}

/** `[h, w, c]` of the tensor entering layer `index` (the network's output for `index = plans.length`). */
function boundaryShape(plans: readonly LayerPlan[], index: number): [number, number, number] {
  const consumer = plans[index];
  if (consumer?.kind === "conv") return [consumer.inH, consumer.inW, consumer.inC];
  if (consumer?.kind === "pool") return [consumer.inH, consumer.inW, consumer.channels];
  if (consumer?.kind === "dense") {
    const producer = plans[index - 1];
    if (producer?.kind === "conv") return [producer.outH, producer.outW, producer.filters];
    if (producer?.kind === "pool") return [producer.outH, producer.outW, producer.channels];
    return [1, 1, consumer.inputs];
  }
  const last = plans[index - 1] as DensePlan;
  return [1, 1, last.paddedUnits];
}
