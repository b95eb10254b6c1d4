import { createRequire } from "node:module";
import * as tf from "@tensorflow/tfjs-core";
import { describe, expect, it } from "vitest";
import { BackendUnavailableError } from "./errors.js";
import { ensureModelBackend, initModelBackend } from "./model-backend.js";

function installed(name: string): boolean {
  try {
    createRequire(import.meta.url).resolve(name);
    return true;
  } catch {
    return false;
  }
}

describe("initModelBackend", () => {
  it("tries tfjs-node-gpu, then tfjs-node, then picks wasm with SIMD, and logs the choice", async () => {
    const lines: string[] = [];
    const handlers = () =>
      process.listeners("unhandledRejection").length + process.listeners("uncaughtException").length;
    const before = handlers();
    const info = await initModelBackend({ log: (line) => lines.push(line) });
    // The wasm runtime's glue adds rethrowing process handlers while it starts; none may remain.
    expect(handlers()).toBe(before);
    const nativeGpu = installed("@tensorflow/tfjs-node-gpu");
    const native = installed("@tensorflow/tfjs-node");
    if (nativeGpu || native) {
      // On a machine where libtensorflow could be installed, a native backend wins.
      expect(info.tfjsBackend).toBe("tensorflow");
    } else {
      // Here their install scripts cannot download libtensorflow, so npm skipped both optional packages.
      expect(info.skipped.map((s) => s.name)).toEqual(["tensorflow-gpu", "tensorflow"]);
      expect(info.skipped.every((s) => /Cannot find (module|package)/.test(s.reason))).toBe(true);
      expect(info).toMatchObject({ name: "wasm", tfjsBackend: "wasm", simd: true, threads: 1 });
      expect(tf.getBackend()).toBe("wasm");
      expect(lines).toEqual(["model backend: wasm simd, threads 1 (skipped: tensorflow-gpu, tensorflow)"]);
    }
  });

  it("honours an explicit preference and label, and says when nothing is usable", async () => {
    const lines: string[] = [];
    const info = await initModelBackend({ prefer: ["cpu"], label: "inference backend", log: (l) => lines.push(l) });
    expect(info).toMatchObject({ name: "cpu", tfjsBackend: "cpu", simd: false, skipped: [] });
    expect(lines).toEqual(["inference backend: cpu, threads 1"]);
    await expect(initModelBackend({ prefer: [], log: () => {} })).rejects.toThrow(BackendUnavailableError);
    await initModelBackend({ prefer: ["wasm"], log: () => {} });
    expect(tf.getBackend()).toBe("wasm");
  });

  it("ensureModelBackend keeps the latest successful choice instead of choosing again", async () => {
    await initModelBackend({ prefer: ["cpu"], log: () => {} });
    await expect(ensureModelBackend()).resolves.toMatchObject({ name: "cpu" });
    expect(tf.getBackend()).toBe("cpu");
    await initModelBackend({ prefer: ["wasm"], log: () => {} });
    await expect(ensureModelBackend()).resolves.toMatchObject({ name: "wasm" });
    expect(tf.getBackend()).toBe("wasm");
  });
});
