/**
 * `npm run bench:privacy`: clip + noise throughput on 1M-parameter updates against a naive Box–Muller baseline
 * measured in the same run, the samplers alone, and accountant speed for 100k steps. Prints a table, then one
 * JSON line.
 */
import { randomFillSync } from "node:crypto";
import {
  clipPerExample,
  clipUpdate,
  GaussianNoise,
  PrvAccountant,
  RdpAccountant,
  subsampledGaussianRdpVector,
} from "../index.js";

const PARAMS = 1_000_000;
const REPEATS = 7;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

function time(repeats: number, run: () => void): number {
  run(); // warm-up (JIT, sampler tables, FFT plans)
  const samples: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const start = performance.now();
    run();
    samples.push(performance.now() - start);
  }
  return median(samples);
}

/** The naive baseline: float64 Box–Muller from crypto uniforms, added straight onto the float32 update. */
const words = new Uint32Array(2 * PARAMS);
function naiveClipAndNoise(update: Float32Array, clipNorm: number, stddev: number): void {
  let squares = 0;
  for (let i = 0; i < update.length; i++) squares += (update[i] as number) ** 2;
  const norm = Math.sqrt(squares);
  const scale = norm > clipNorm ? clipNorm / norm : 1;
  randomFillSync(words);
  for (let i = 0; i + 1 < update.length; i += 2) {
    const u1 = ((words[i] as number) + 1) / 4_294_967_297;
    const u2 = (words[i + 1] as number) / 4_294_967_296;
    const r = stddev * Math.sqrt(-2 * Math.log(u1));
    update[i] = (update[i] as number) * scale + r * Math.cos(2 * Math.PI * u2);
    update[i + 1] = (update[i + 1] as number) * scale + r * Math.sin(2 * Math.PI * u2);
  }
}

const update = new Float32Array(PARAMS);
const fillUpdate = () => {
  for (let i = 0; i < PARAMS; i++) update[i] = Math.sin(i) * 0.01;
};
const noise = new GaussianNoise();
const clipNorm = 1;
const sigma = 1.1;

const oursMs = time(REPEATS, () => {
  fillUpdate();
  clipUpdate(update, clipNorm);
  noise.addTo(update, sigma * clipNorm, { sensitivity: clipNorm });
});
const naiveMs = time(REPEATS, () => {
  fillUpdate();
  naiveClipAndNoise(update, clipNorm, sigma * clipNorm);
});
const fillMs = time(REPEATS, fillUpdate);

const noiseOnlyMs = time(REPEATS, () => noise.addTo(update, sigma));
const naiveNoiseOnlyMs = time(REPEATS, () => naiveClipAndNoise(update, Number.POSITIVE_INFINITY, sigma));

// DP-SGD: per-example clipping of a batch of 32 examples of 1M parameters into one sum, then noise.
const batch = 32;
const perExample = new Float32Array(batch * PARAMS);
for (let i = 0; i < perExample.length; i++) perExample[i] = Math.cos(i) * 0.003;
const sum = new Float32Array(PARAMS);
const dpSgdMs = time(3, () => {
  sum.fill(0);
  clipPerExample(perExample, batch, clipNorm, sum);
  noise.addTo(sum, sigma * clipNorm, { sensitivity: clipNorm });
});
const perExampleClipMs = time(3, () => {
  sum.fill(0);
  clipPerExample(perExample, batch, clipNorm, sum);
});

// Accountants over 100k steps (σ = 1.1, q = 0.01, δ = 1e-5).
const STEPS = 100_000;
const rdpMs = time(3, () => {
  const accountant = new RdpAccountant();
  for (let i = 0; i < STEPS; i++) accountant.step(1.1, 0.01);
  accountant.getEpsilon(1e-5);
});
const rdpEpsilon = new RdpAccountant().step(1.1, 0.01, STEPS).getEpsilon(1e-5);
// Naive baseline: recompute the RDP curve at every step (what an accountant without caching does); measured on
// 200 steps and scaled to 100k.
const naiveSteps = 200;
const naiveRdpMs =
  (time(1, () => {
    const total = new Float64Array(new RdpAccountant().orders.length);
    for (let i = 0; i < naiveSteps; i++) {
      const perStep = subsampledGaussianRdpVector(0.01, 1.1 + i * 1e-12, new RdpAccountant().orders);
      for (let k = 0; k < total.length; k++) total[k] = (total[k] as number) + (perStep[k] as number);
    }
  }) *
    STEPS) /
  naiveSteps;
const prvMs = time(3, () => {
  const accountant = new PrvAccountant();
  for (let i = 0; i < STEPS; i++) accountant.step(1.1, 0.01);
  accountant.getEpsilon(1e-5);
});
const prvEpsilon = new PrvAccountant().step(1.1, 0.01, STEPS).getEpsilon(1e-5).epsilon;

const mps = (ms: number) => (PARAMS / ms / 1000).toFixed(1);
const rows: [string, string, string][] = [
  [
    "clip + noise, 1M-param update (ours: lattice discrete Gaussian)",
    `${oursMs.toFixed(1)} ms`,
    `${mps(oursMs)} M params/s`,
  ],
  [
    "clip + noise, 1M-param update (naive float Box–Muller baseline)",
    `${naiveMs.toFixed(1)} ms`,
    `${mps(naiveMs)} M params/s`,
  ],
  ["  (both include refilling the update: fill only)", `${fillMs.toFixed(1)} ms`, ""],
  ["noise only, 1M (ours)", `${noiseOnlyMs.toFixed(1)} ms`, `${mps(noiseOnlyMs)} M samples/s`],
  ["noise only, 1M (naive Box–Muller)", `${naiveNoiseOnlyMs.toFixed(1)} ms`, `${mps(naiveNoiseOnlyMs)} M samples/s`],
  [
    `DP-SGD sum: per-example clip ${batch}×1M + noise`,
    `${dpSgdMs.toFixed(1)} ms`,
    `noise share ${((1 - perExampleClipMs / dpSgdMs) * 100).toFixed(0)}%`,
  ],
  [
    "RDP accountant, 100k steps + ε",
    `${rdpMs.toFixed(1)} ms`,
    `ε = ${rdpEpsilon.epsilon.toFixed(4)} (order ${rdpEpsilon.order})`,
  ],
  ["RDP naive (curve recomputed per step), 100k (scaled from 200)", `${naiveRdpMs.toFixed(0)} ms`, ""],
  ["PRV accountant, 100k steps + ε (FFT 2^18)", `${prvMs.toFixed(1)} ms`, `ε = ${prvEpsilon.toFixed(4)}`],
];
const width = Math.max(...rows.map((row) => row[0].length));
console.log(`${"benchmark".padEnd(width)}  ${"time".padStart(10)}  throughput / result`);
for (const [name, value, extra] of rows) console.log(`${name.padEnd(width)}  ${value.padStart(10)}  ${extra}`);
console.log(
  JSON.stringify({
    bench: "privacy",
    params: PARAMS,
    clipNoiseMs: oursMs,
    naiveClipNoiseMs: naiveMs,
    clipNoiseVsNaive: oursMs / naiveMs,
    noiseOnlyMs,
    naiveNoiseOnlyMs,
    dpSgdBatch32Ms: dpSgdMs,
    dpSgdNoiseShare: 1 - perExampleClipMs / dpSgdMs,
    rdp100kStepsMs: rdpMs,
    naiveRdp100kStepsMs: naiveRdpMs,
    prv100kStepsMs: prvMs,
    rdpEpsilon: rdpEpsilon.epsilon,
    prvEpsilon,
  }),
);
