/**
 * A minimal WebAssembly binary writer: just enough to emit the SIMD kernels of aggregation and model-runtime (one
 * imported memory, functions over i32/f32/f64/v128 locals, structured loops). Kernels are generated at run time
 * because their shape depends on the input (a sorting network for n inputs is straight-line code for that n; a
 * GEMM takes its strides and unrolling as immediates).
 *
 * Opcodes follow the WebAssembly 2.0 core specification and the fixed-width SIMD encoding (prefix 0xfd).
 */

export const I32 = 0x7f;
export const F32 = 0x7d;
export const F64 = 0x7c;
export const V128 = 0x7b;
export type ValueType = typeof I32 | typeof F32 | typeof F64 | typeof V128;

/** SIMD opcodes (after the 0xfd prefix) used by the kernels. */
export const Simd = {
  load: 0x00,
  load32Splat: 0x09,
  store: 0x0b,
  shuffle: 0x0d,
  i32x4Splat: 0x11,
  f32x4Splat: 0x13,
  f64x2Splat: 0x14,
  f64x2ExtractLane: 0x21,
  f32x4Eq: 0x41,
  f32x4Lt: 0x43,
  f32x4Gt: 0x44,
  v128And: 0x4e,
  v128Andnot: 0x4f,
  v128Or: 0x50,
  v128Bitselect: 0x52,
  f32x4DemoteF64x2Zero: 0x5e,
  f64x2PromoteLowF32x4: 0x5f,
  i32x4AllTrue: 0xa3,
  i64x2ExtendLowI32x4S: 0xc7,
  i64x2ExtendHighI32x4S: 0xc8,
  f32x4Abs: 0xe0,
  f32x4Add: 0xe4,
  f32x4Sub: 0xe5,
  f32x4Mul: 0xe6,
  f32x4Pmin: 0xea,
  f32x4Pmax: 0xeb,
  f32x4Max: 0xe9,
  /** Relaxed SIMD (WebAssembly 3.0): a·b + c, fused or not as the hardware prefers. */
  f32x4RelaxedMadd: 0x105,
  f64x2Add: 0xf0,
  f64x2Sub: 0xf1,
  f64x2Mul: 0xf2,
  f64x2Div: 0xf3,
  f64x2Pmin: 0xf6,
  f64x2Pmax: 0xf7,
} as const;

const Op = {
  block: 0x02,
  loop: 0x03,
  end: 0x0b,
  br: 0x0c,
  brIf: 0x0d,
  localGet: 0x20,
  localSet: 0x21,
  localTee: 0x22,
  i32Const: 0x41,
  f64Const: 0x44,
  i32Load: 0x28,
  f32Load: 0x2a,
  f64Load: 0x2b,
  i32Store: 0x36,
  f32Store: 0x38,
  f64Store: 0x39,
  f64Add: 0xa0,
  i32Eqz: 0x45,
  i32LtU: 0x49,
  i32GeU: 0x4f,
  i32Add: 0x6a,
  i32Sub: 0x6b,
  i32Mul: 0x6c,
  i32Ne: 0x47,
  i32LtS: 0x48,
  simdPrefix: 0xfd,
  voidBlock: 0x40,
} as const;

function pushU32(out: number[], value: number): void {
  let v = value >>> 0;
  do {
    let byte = v & 0x7f;
    v >>>= 7;
    if (v !== 0) byte |= 0x80;
    out.push(byte);
  } while (v !== 0);
}

function pushS32(out: number[], value: number): void {
  let v = value | 0;
  for (;;) {
    const byte = v & 0x7f;
    v >>= 7;
    const done = (v === 0 && (byte & 0x40) === 0) || (v === -1 && (byte & 0x40) !== 0);
    out.push(done ? byte : byte | 0x80);
    if (done) return;
  }
}

function pushName(out: number[], name: string): void {
  const bytes = new TextEncoder().encode(name);
  pushU32(out, bytes.length);
  for (const b of bytes) out.push(b);
}

/** Body of one function: declare locals, then append instructions. Parameters are locals 0..params-1. */
export class FunctionBuilder {
  readonly params: readonly ValueType[];
  readonly results: readonly ValueType[];
  private readonly locals: ValueType[] = [];
  private readonly code: number[] = [];

  constructor(params: readonly ValueType[], results: readonly ValueType[] = []) {
    this.params = params;
    this.results = results;
  }

  /** Declares a new local and returns its index. */
  local(type: ValueType): number {
    this.locals.push(type);
    return this.params.length + this.locals.length - 1;
  }

  get(index: number): this {
    this.code.push(Op.localGet);
    pushU32(this.code, index);
    return this;
  }

  set(index: number): this {
    this.code.push(Op.localSet);
    pushU32(this.code, index);
    return this;
  }

  tee(index: number): this {
    this.code.push(Op.localTee);
    pushU32(this.code, index);
    return this;
  }

  i32(value: number): this {
    this.code.push(Op.i32Const);
    pushS32(this.code, value);
    return this;
  }

  f64(value: number): this {
    this.code.push(Op.f64Const);
    const bytes = new Uint8Array(new Float64Array([value]).buffer);
    for (const b of bytes) this.code.push(b);
    return this;
  }

  /** `i32.load` from (address on the stack) + offset. */
  i32Load(offset = 0): this {
    this.code.push(Op.i32Load, 2);
    pushU32(this.code, offset);
    return this;
  }

  /** `i32.store` of the value on the stack at (address below it) + offset. */
  i32Store(offset = 0): this {
    this.code.push(Op.i32Store, 2);
    pushU32(this.code, offset);
    return this;
  }

  /** `f32.load` from (address on the stack) + offset. */
  f32Load(offset = 0): this {
    this.code.push(Op.f32Load, 2);
    pushU32(this.code, offset);
    return this;
  }

  /** `f32.store` of the value on the stack at (address below it) + offset. */
  f32Store(offset = 0): this {
    this.code.push(Op.f32Store, 2);
    pushU32(this.code, offset);
    return this;
  }

  /** `f64.load` from (address on the stack) + offset. */
  f64Load(offset = 0): this {
    this.code.push(Op.f64Load, 3);
    pushU32(this.code, offset);
    return this;
  }

  /** `f64.store` of the value on the stack at (address below it) + offset. */
  f64Store(offset = 0): this {
    this.code.push(Op.f64Store, 3);
    pushU32(this.code, offset);
    return this;
  }

  f64Add(): this {
    this.code.push(Op.f64Add);
    return this;
  }

  /** `f64x2.extract_lane`. */
  f64x2ExtractLane(lane: 0 | 1): this {
    this.simd(Simd.f64x2ExtractLane);
    this.code.push(lane);
    return this;
  }

  i32Add(): this {
    this.code.push(Op.i32Add);
    return this;
  }

  i32Sub(): this {
    this.code.push(Op.i32Sub);
    return this;
  }

  i32Mul(): this {
    this.code.push(Op.i32Mul);
    return this;
  }

  i32LtU(): this {
    this.code.push(Op.i32LtU);
    return this;
  }

  i32GeU(): this {
    this.code.push(Op.i32GeU);
    return this;
  }

  i32Ne(): this {
    this.code.push(Op.i32Ne);
    return this;
  }

  i32LtS(): this {
    this.code.push(Op.i32LtS);
    return this;
  }

  i32Eqz(): this {
    this.code.push(Op.i32Eqz);
    return this;
  }

  /** A SIMD instruction without immediates. */
  simd(opcode: number): this {
    this.code.push(Op.simdPrefix);
    pushU32(this.code, opcode);
    return this;
  }

  /** `v128.load` from (address on the stack) + offset; 16-byte alignment hint. */
  load(offset = 0): this {
    this.simd(Simd.load);
    this.code.push(4);
    pushU32(this.code, offset);
    return this;
  }

  /** `v128.load32_splat` from (address on the stack) + offset: one float32 in all four lanes. */
  loadSplat(offset = 0): this {
    this.simd(Simd.load32Splat);
    this.code.push(2);
    pushU32(this.code, offset);
    return this;
  }

  /** `v128.store` of the value on the stack at (address below it) + offset. */
  store(offset = 0): this {
    this.simd(Simd.store);
    this.code.push(4);
    pushU32(this.code, offset);
    return this;
  }

  /** `i8x16.shuffle` with 16 byte-lane indices into the concatenation of the two operands. */
  shuffle(lanes: readonly number[]): this {
    if (lanes.length !== 16) throw new RangeError("i8x16.shuffle takes 16 lane indices");
    this.simd(Simd.shuffle);
    for (const lane of lanes) this.code.push(lane);
    return this;
  }

  block(): this {
    this.code.push(Op.block, Op.voidBlock);
    return this;
  }

  loop(): this {
    this.code.push(Op.loop, Op.voidBlock);
    return this;
  }

  end(): this {
    this.code.push(Op.end);
    return this;
  }

  br(depth: number): this {
    this.code.push(Op.br);
    pushU32(this.code, depth);
    return this;
  }

  brIf(depth: number): this {
    this.code.push(Op.brIf);
    pushU32(this.code, depth);
    return this;
  }

  /** Encoded body (locals vector, instructions, final `end`). */
  encodeBody(): number[] {
    const body: number[] = [];
    pushU32(body, this.locals.length);
    for (const type of this.locals) {
      pushU32(body, 1);
      body.push(type);
    }
    for (const b of this.code) body.push(b);
    body.push(Op.end);
    return body;
  }
}

/** Emits a module that imports `env.memory` and exports the given functions by name. */
export function buildModule(functions: ReadonlyArray<{ name: string; fn: FunctionBuilder }>): Uint8Array<ArrayBuffer> {
  const out: number[] = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
  const section = (id: number, content: number[]): void => {
    out.push(id);
    pushU32(out, content.length);
    for (const b of content) out.push(b);
  };

  const types: number[] = [];
  pushU32(types, functions.length);
  for (const { fn } of functions) {
    types.push(0x60);
    pushU32(types, fn.params.length);
    types.push(...fn.params);
    pushU32(types, fn.results.length);
    types.push(...fn.results);
  }
  section(1, types);

  const imports: number[] = [];
  pushU32(imports, 1);
  pushName(imports, "env");
  pushName(imports, "memory");
  imports.push(0x02, 0x00); // memory; limits: minimum only
  pushU32(imports, 1);
  section(2, imports);

  const funcs: number[] = [];
  pushU32(funcs, functions.length);
  functions.forEach((_, index) => {
    pushU32(funcs, index);
  });
  section(3, funcs);

  const exports: number[] = [];
  pushU32(exports, functions.length);
  functions.forEach(({ name }, index) => {
    pushName(exports, name);
    exports.push(0x00);
    pushU32(exports, index);
  });
  section(7, exports);

  const code: number[] = [];
  pushU32(code, functions.length);
  for (const { fn } of functions) {
    const body = fn.encodeBody();
    pushU32(code, body.length);
    for (const b of body) code.push(b);
  }
  section(10, code);

  return new Uint8Array(out);
}
