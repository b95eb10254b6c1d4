import { buildModule, type FunctionBuilder, Wasm, type WasmMemory } from "@tributary/protocol";
import { columnVectors, GemmCall, KernelArena, paddedRows, tileRows } from "./gemm-call.js";
import type { GemmShape } from "./gemm-kernel.js";
import type { ConvPlan, DensePlan, LayerPlan } from "./kernel-plan.js";
import { type ByteView, poolBackwardFunction, poolForwardFunction } from "./pool-kernel.js";
import { sgdFunction } from "./sgd-kernel.js";

/** A strided NHWC view in floats of the memory: element [0, 0, 0, 0] and the strides (channels contiguous). */
interface StridedView {
  readonly base: number;
  readonly image: number;
  readonly row: number;
  readonly pixel: number;
}

const bytes = (view: StridedView): ByteView => ({
  base: 4 * view.base,
  image: 4 * view.image,
  row: 4 * view.row,
  pixel: 4 * view.pixel,
});

/** What the layers add while the network is planned: GEMM calls, other kernels, and buffers to fill with 1. */
interface Build {
  readonly arena: KernelArena;
  readonly gemms: GemmCall[];
  readonly functions: { name: string; fn: FunctionBuilder }[];
  readonly ones: { at: number; count: number }[];
  readonly B: number;
}

/** Clipping of probabilities before the log, as Keras, tfjs-layers and `modelObjective` do. */
const EPSILON = 1e-7;

/**
 * One trainable tensor: `rows × cols` floats at float index `w` (row stride `stride`), its gradient at `g` and
 * w_global at `wg` in the same layout; the SGD step runs over all `rows × stride` floats (padding stays 0).
 */
interface ParamSlot {
  readonly w: number;
  readonly g: number;
  wg: number;
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
function spreadStride(floats: number): number {
  return floats % 32 === 0 ? floats + 4 : floats;
}

/**
 * A row-major buffer for `[batch, h, w, c]` with 8 spare rows for GEMM tiles. A dense layer's output (one row per
 * example) gets a spread row stride: its rows are a GEMM's B operand or strided A operand over the batch.
 */
function rows(
  floats: (count: number) => number,
  batch: number,
  h: number,
  w: number,
  c: number,
  dense: boolean,
): StridedView {
  if (!dense) return contiguous(floats(batch * h * w * c + 8 * w * c), h, w, c);
  const stride = spreadStride(c);
  return { base: floats((batch + 8) * stride), image: stride, row: stride, pixel: stride };
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
  private readonly lossGradStride: number;
  private readonly lossGrad: number;
  private count = 0;
  /** The pooling and SGD kernels of this network, by name. */
  private exports: Readonly<Record<string, unknown>> = {};
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
    const build: Build = { arena, gemms: [], functions: [], ones: [], B };
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
        act = rows(floats, B, h, w, c, producer?.kind === "dense");
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
        grad = rows(floats, B, h, w, c, producer?.kind === "dense");
        gradContiguous = true;
      }
      boundaries.push({ h, w, c, act, actContiguous, grad, gradContiguous });
    }

    plans.forEach((plan, index) => {
      const inB = boundaries[index] as Boundary;
      const outB = boundaries[index + 1] as Boundary;
      const next = plans[index + 1];
      if (plan.kind === "pool") {
        const producer = plans[index - 1];
        if (producer === undefined || inB.grad === undefined || outB.grad === undefined) {
          throw new Error("a pooling layer needs a layer before it");
        }
        const shape = {
          batch: B,
          outH: plan.outH,
          outW: plan.outW,
          channels: plan.channels,
          ph: plan.ph,
          pw: plan.pw,
          x: bytes(inB.act),
          y: bytes(outB.act),
          dy: bytes(outB.grad),
          dx: bytes(inB.grad),
          reluInput: producer.kind !== "pool" && isRelu(producer),
        };
        const name = `pool${index}`;
        build.functions.push(
          { name: `${name}Forward`, fn: poolForwardFunction(shape) },
          { name: `${name}Backward`, fn: poolBackwardFunction(shape) },
        );
        this.steps.push({
          name: `${index}.pool`,
          forward: () => (this.exports[`${name}Forward`] as () => void)(),
          backward: () => (this.exports[`${name}Backward`] as () => void)(),
        });
        return;
      }
      const reluMaskedByNext = next?.kind === "pool";
      if (plan.kind === "conv") this.conv(plan, inB, outB, reluMaskedByNext, build);
      else this.dense(plan, inB, outB, build);
    });

    const last = plans[plans.length - 1] as DensePlan;
    const outB = boundaries[plans.length] as Boundary;
    this.classes = last.units;
    this.logits = outB.act.base;
    this.logitsStride = outB.act.pixel;
    this.lossGrad = (outB.grad as StridedView).base;
    this.lossGradStride = (outB.grad as StridedView).pixel;
    this.input = boundaries[0] as Boundary;
    this.size = this.params.reduce((n, p) => n + p.rows * p.cols, 0);
    for (const slot of this.params) slot.wg = floats(slot.rows * slot.stride);
    build.functions.push({
      name: "sgd",
      fn: sgdFunction(this.params.map((p) => ({ w: 4 * p.w, g: 4 * p.g, wg: 4 * p.wg, floats: p.rows * p.stride }))),
    });
    this.labels = new Int32Array(B);

    this.memory = new Wasm.Memory({ initial: Math.ceil(arena.bytes / 65_536) + 1 });
    arena.writeTables(this.memory);
    for (const gemm of build.gemms) gemm.bind(this.memory);
    this.heap = new Float32Array(this.memory.buffer);
    for (const { at, count } of build.ones) this.heap.fill(1, at, at + count);
    const module = new Wasm.Module(buildModule(build.functions));
    this.exports = new Wasm.Instance(module, { env: { memory: this.memory } }).exports;
  }

  private conv(plan: ConvPlan, inB: Boundary, outB: Boundary, reluMaskedByNext: boolean, build: Build): void {
    const { arena, gemms, B } = build;
    const { fh, fw, inC: C, filters: Fo, outH, outW, inH, inW } = plan;
    const taps = fh * fw;
    const floats = (count: number) => arena.alloc(count) / 4;
    const byte = (i: number) => i * 4;
    const WS = spreadStride(Fo);
    const weights = floats(taps * C * WS);
    const kRows = taps * C;
    // The bias gradient is one more row of the filter-gradient GEMM: A = 1 there, so C = Σ_pixels dz.
    const dwMr = tileRows(kRows + 1, Fo);
    const grads = floats(paddedRows(kRows + 1, dwMr) * WS);
    const bias = floats(WS);
    this.params.push({ w: weights, g: grads, wg: 0, rows: kRows, cols: Fo, stride: WS });
    if (plan.useBias) this.params.push({ w: bias, g: grads + kRows * WS, wg: 0, rows: 1, cols: Fo, stride: WS });

    const x = inB.act;
    const corner = x.base - plan.padTop * x.row - plan.padLeft * x.pixel;
    const rows = B * outH * outW;
    const mr = tileRows(rows, Fo);
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
    if (plan.useBias) {
      const ones = floats(B * x.image);
      build.ones.push({ at: ones, count: B * x.image });
      dwRows.push(byte(ones));
    }
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
      const dxMr = tileRows(dxRowsCount, C);
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
        if (inputGrad !== undefined) {
          timed("conv rotate filter", () => rotate?.(heap));
          timed("conv input-gradient GEMM", () => inputGrad.run());
          copyBack?.(heap);
        }
      },
    });
  }

  private dense(plan: DensePlan, inB: Boundary, outB: Boundary, build: Build): void {
    const { arena, gemms, B } = build;
    const { inputs: K, units, paddedUnits: P } = plan;
    const B8 = Math.ceil(B / 8) * 8;
    const floats = (count: number) => arena.alloc(count) / 4;
    const byte = (i: number) => i * 4;
    const dwMr = tileRows(K + 1, P);
    const WS = spreadStride(P);
    const weights = floats(K * WS);
    const grads = floats(paddedRows(K + 1, dwMr) * WS);
    const bias = floats(WS);
    this.params.push({ w: weights, g: grads, wg: 0, rows: K, cols: units, stride: WS });
    if (plan.useBias) this.params.push({ w: bias, g: grads + K * WS, wg: 0, rows: 1, cols: units, stride: WS });
    const x = inB.act;
    // The bias gradient: one more row of the filter-gradient GEMM reading 1 for every example.
    const dwRows = Array.from({ length: K }, (_, j) => byte(x.base + j));
    if (plan.useBias) {
      const ones = floats(B * x.image);
      build.ones.push({ at: ones, count: B * x.image });
      dwRows.push(byte(ones));
    }
    const z = outB.act;
    const dz = outB.grad as StridedView;
    const mr = tileRows(B, P);
    const forward = new GemmCall(arena, {
      shape: shape(
        mr,
        P,
        { segLen: K, aK: 4, bK: WS * 4, cStride: byte(z.image) },
        plan.activation === "relu" ? "biasRelu" : "bias",
        "columnsOuter",
      ),
      rowBases: Array.from({ length: B }, (_, b) => byte(x.base + b * x.image)),
      segments: [0, byte(weights)],
      c: byte(z.base),
      bias: byte(bias),
    });
    const filterGrad = new GemmCall(arena, {
      shape: shape(dwMr, P, { segLen: B, aK: byte(x.image), bK: byte(dz.image), cStride: WS * 4 }, "none", "rowsOuter"),
      rowBases: dwRows,
      segments: [0, byte(dz.base)],
      c: byte(grads),
      bias: 0,
    });
    gemms.push(forward, filterGrad);
    const dxView = inB.grad;
    let inputGrad: GemmCall | undefined;
    const TS = spreadStride(B8);
    const dzT = floats(P * TS);
    const dxT = floats(paddedRows(K, tileRows(K, B8)) * B8);
    if (dxView !== undefined) {
      inputGrad = new GemmCall(arena, {
        shape: shape(tileRows(K, B8), B8, { segLen: P, aK: 4, bK: TS * 4, cStride: B8 * 4 }, "none", "rowsOuter"),
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
        if (inputGrad === undefined || dxView === undefined) return;
        for (let b = 0; b < B; b++)
          for (let j = 0; j < P; j++) heap[dzT + j * TS + b] = heap[dz.base + b * dz.image + j] as number;
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
      const g = this.lossGrad + b * this.lossGradStride;
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
    if (flat !== undefined && flat.length !== this.size) {
      throw new RangeError(`expected ${this.size} weights, got ${flat.length}`);
    }
    let offset = 0;
    for (const p of this.params) {
      if (flat === undefined) this.heap.copyWithin(p.wg, p.w, p.w + p.rows * p.stride);
      else {
        for (let r = 0; r < p.rows; r++) {
          this.heap.set(flat.subarray(offset + r * p.cols, offset + (r + 1) * p.cols), p.wg + r * p.stride);
        }
      }
      offset += p.rows * p.cols;
    }
  }

  /** w ← w − lr·(g + μ(w − w_global)) (μ = 0: plain SGD). */
  applyGradients(learningRate: number, mu = 0): void {
    (this.exports.sgd as (lr: number, mu: number) => void)(learningRate, mu);
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
  return { mr, nv: columnVectors(n), n, ...strides, accumulate: false, epilogue, order };
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
