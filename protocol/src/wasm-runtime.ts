/**
 * The slice of the WebAssembly JS API this package uses, typed locally: the project's `lib` (ES2023, no DOM)
 * does not declare the `WebAssembly` global, and a global declaration here would leak into every workspace.
 */
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
}

/** A compiled module. Opaque. */
export interface WasmModule {
  readonly __wasmModule?: never;
}

export interface WasmInstance {
  readonly exports: Readonly<Record<string, unknown>>;
}

interface WebAssemblyApi {
  Module: new (bytes: Uint8Array<ArrayBuffer>) => WasmModule;
  Instance: new (module: WasmModule, imports: { env: { memory: WasmMemory } }) => WasmInstance;
  Memory: new (descriptor: { initial: number }) => WasmMemory;
  validate: (bytes: Uint8Array<ArrayBuffer>) => boolean;
}

export const Wasm = (globalThis as unknown as { WebAssembly: WebAssemblyApi }).WebAssembly;

/** Bytes per WebAssembly memory page. */
export const WASM_PAGE = 65_536;

/** A fresh memory of at least `bytes` bytes and an instance of `module` over it. */
export function instantiate(
  module: WasmModule,
  bytes: number,
): { memory: WasmMemory; exports: WasmInstance["exports"] } {
  const memory = new Wasm.Memory({ initial: Math.max(1, Math.ceil(bytes / WASM_PAGE)) });
  const { exports } = new Wasm.Instance(module, { env: { memory } });
  return { memory, exports };
}
