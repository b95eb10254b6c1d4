import { createRequire } from "node:module";
import type * as EzklModule from "@ezkljs/engine";

/** The functions of `@ezkljs/engine` (its Node build: one WebAssembly instance, single-threaded) this adapter uses. */
export type EzklEngine = Pick<typeof EzklModule, "genWitness" | "genVk" | "genPk" | "prove" | "verify" | "feltToFloat">;

const require = createRequire(import.meta.url);
let instance: EzklEngine | undefined;

/** A trap of the WebAssembly machine (`WebAssembly.RuntimeError`), which is how a Rust panic ends in the engine. */
function isTrap(error: unknown): error is Error {
  return error instanceof Error && error.name === "RuntimeError";
}

/**
 * Runs `use` with the engine, loading it on first use (its Node build compiles ~10 MB of WebAssembly when it is
 * required, so nothing that merely imports this package pays for it). A Rust panic inside the engine surfaces as a
 * `WebAssembly.RuntimeError` ("unreachable") and may leave that instance's memory and stack in any state, so after
 * one the instance is dropped and the next call loads a fresh one.
 */
export function withEzklEngine<T>(use: (engine: EzklEngine) => T): T {
  instance ??= require("@ezkljs/engine") as EzklEngine;
  try {
    return use(instance);
  } catch (error) {
    if (isTrap(error)) {
      delete require.cache[require.resolve("@ezkljs/engine")];
      instance = undefined;
    }
    throw error;
  }
}

/** What an engine failure says, in one line: the engine's own message, or what a panic inside it means. */
export function engineFailureReason(error: unknown): string {
  if (isTrap(error)) {
    return `the engine aborted (a panic inside its WebAssembly: ${error.message}); the settings, keys or proof do not fit the circuit`;
  }
  const message = error instanceof Error ? error.message : String(error);
  return (message.split("\n")[0] ?? message).replace(/^Internal error: /, "");
}
