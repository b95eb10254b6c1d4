import { createHash } from "node:crypto";
import type { Bytes32, ModelSpec } from "@tributary/protocol";

/** One precomputed update: the bytes a trainer sends and the SHA-256 its signed header commits to. */
export interface SyntheticUpdate {
  readonly bytes: Uint8Array;
  readonly updateHash: Bytes32;
}

/**
 * A one-layer dense model with exactly `params` trainable parameters: `[inputs] → dense(units)` has
 * `inputs · units + units = (inputs + 1) · units` of them (100,000 = (999 + 1) · 100; 10,000 = (99 + 1) · 100).
 */
export function denseModelWithParams(params: number): ModelSpec {
  const units = [100, 50, 10, 5, 2, 1].find((candidate) => params % candidate === 0 && params / candidate >= 2);
  if (units === undefined) throw new RangeError(`no dense layout has exactly ${params} parameters`);
  return {
    inputShape: [params / units - 1],
    layers: [{ type: "dense", units, activation: "linear", useBias: true }],
    loss: "meanSquaredError",
  };
}

/**
 * `updates[trainer][round]`: distinct small random deltas (|x| < 0.05), so that no two updates share bytes (the
 * coordinator's content-addressed blob store would otherwise skip writing a repeated one) and no round is cheaper
 * than another. Everything a trainer must not compute during a measured round (bytes, hashes) is done here.
 */
export function syntheticUpdates(trainers: number, rounds: number, params: number): SyntheticUpdate[][] {
  const updates: SyntheticUpdate[][] = [];
  for (let trainer = 0; trainer < trainers; trainer++) {
    const base = new Float32Array(params);
    for (let index = 0; index < params; index++) base[index] = (Math.random() - 0.5) * 0.1;
    const perRound: SyntheticUpdate[] = [];
    for (let round = 0; round < rounds; round++) {
      const delta = Float32Array.from(base);
      delta[0] = (trainer * rounds + round) * 1e-9;
      const bytes = new Uint8Array(delta.buffer);
      perRound.push({ bytes, updateHash: `0x${createHash("sha256").update(bytes).digest("hex")}` as Bytes32 });
    }
    updates.push(perRound);
  }
  return updates;
}
