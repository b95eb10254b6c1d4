/**
 * npm run bench:aggregation — the coordinator's hot path against baselines measured in the same run:
 * memcpy (TypedArray.set) bandwidth, naive sort-per-coordinate robust rules, naive Krum, and numpy FedAvg
 * written the way Flower's aggregate() does it. Prints a table, then one JSON line.
 */
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { coordinateMedian, createFedAvgAccumulator, fedAvg, krum, trimmedMean, type WeightedUpdate } from "../index.js";

const REPS = 5;
const K = 100;
const P = 1_000_000;
const ROBUST_N = 20;
const ROBUST_P = 100_000;
const TRIM = 4;
const KRUM_N = 50;
const KRUM_P = 100_000;
const KRUM_F = 10;

/** Deterministic, fast uniform numbers in [−1, 1). */
function filler(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 31 - 1;
  };
}

function randomVectors(count: number, length: number, seed: number): Float32Array[] {
  const next = filler(seed);
  return Array.from({ length: count }, () => {
    const vector = new Float32Array(length);
    for (let i = 0; i < length; i++) vector[i] = next();
    return vector;
  });
}

/** Best (minimum) wall time in ms of `reps` runs. */
function best(reps: number, run: () => unknown): number {
  let min = Number.POSITIVE_INFINITY;
  for (let r = 0; r < reps; r++) {
    const start = performance.now();
    run();
    min = Math.min(min, performance.now() - start);
  }
  return min;
}

// --- naive baselines: the obvious implementations a reviewer would write -----------------------------------

function naiveMedian(vectors: Float32Array[]): Float32Array {
  const n = vectors.length;
  const length = vectors[0]?.length ?? 0;
  const out = new Float32Array(length);
  const column = new Float32Array(n);
  for (let i = 0; i < length; i++) {
    for (let k = 0; k < n; k++) column[k] = (vectors[k] as Float32Array)[i] as number;
    column.sort();
    out[i] =
      n % 2 === 1 ? (column[(n - 1) / 2] as number) : ((column[n / 2 - 1] as number) + (column[n / 2] as number)) / 2;
  }
  return out;
}

function naiveTrimmedMean(vectors: Float32Array[], trim: number): Float32Array {
  const n = vectors.length;
  const length = vectors[0]?.length ?? 0;
  const out = new Float32Array(length);
  const column = new Float32Array(n);
  for (let i = 0; i < length; i++) {
    for (let k = 0; k < n; k++) column[k] = (vectors[k] as Float32Array)[i] as number;
    column.sort();
    let sum = 0;
    for (let k = trim; k < n - trim; k++) sum += column[k] as number;
    out[i] = sum / (n - 2 * trim);
  }
  return out;
}

function naiveKrum(vectors: Float32Array[], f: number): number {
  const n = vectors.length;
  const scores = vectors.map((a, i) => {
    const distances: number[] = [];
    vectors.forEach((b, j) => {
      if (j === i) return;
      let sum = 0;
      for (let c = 0; c < a.length; c++) {
        const d = (a[c] as number) - (b[c] as number);
        sum += d * d;
      }
      distances.push(sum);
    });
    distances.sort((x, y) => x - y);
    return distances.slice(0, n - f - 2).reduce((x, y) => x + y, 0);
  });
  return scores.indexOf(Math.min(...scores));
}

function numpyFedAvgSeconds(): { seconds: number; numpy: string } | null {
  const script = fileURLToPath(new URL("./numpy-fedavg.py", import.meta.url));
  const run = spawnSync("python3", [script, String(K), String(P), "3"], { encoding: "utf8", timeout: 300_000 });
  if (run.status !== 0 || run.error !== undefined) return null;
  try {
    const lines = run.stdout.trim().split("\n");
    const parsed = JSON.parse(lines[lines.length - 1] ?? "") as { seconds: number; numpy: string };
    return Number.isFinite(parsed.seconds) && parsed.seconds > 0 ? parsed : null;
  } catch {
    return null;
  }
}

// --- measurements ----------------------------------------------------------------------------------------------

const round = (value: number, digits = 2) => Number(value.toFixed(digits));
const gbps = (bytes: number, ms: number) => bytes / (ms / 1000) / 1e9;

function main(): void {
  const inputs = randomVectors(K, P, 1);
  const counts = filler(2);
  const updates: WeightedUpdate[] = inputs.map((weights) => ({
    weights,
    numExamples: 1 + Math.floor((counts() + 1) * 500),
  }));
  const inputBytes = K * P * 4;

  // FedAvg and memcpy interleaved, so both see the same machine state.
  const destination = new Float32Array(P);
  let memcpyMs = Number.POSITIVE_INFINITY;
  let fedavgMs = Number.POSITIVE_INFINITY;
  fedAvg(updates); // warm up the kernel
  for (let r = 0; r < REPS; r++) {
    memcpyMs = Math.min(
      memcpyMs,
      best(1, () => {
        for (const input of inputs) destination.set(input);
      }),
    );
    fedavgMs = Math.min(
      fedavgMs,
      best(1, () => fedAvg(updates)),
    );
  }
  const accumulatorMs = best(2, () => {
    const accumulator = createFedAvgAccumulator(P);
    for (const { weights, numExamples } of updates) accumulator.add(weights, numExamples);
    accumulator.result();
  });

  const robust = randomVectors(ROBUST_N, ROBUST_P, 3);
  coordinateMedian(robust);
  trimmedMean(robust, TRIM);
  const medianMs = best(REPS, () => coordinateMedian(robust));
  const naiveMedianMs = best(REPS, () => naiveMedian(robust));
  const trimmedMs = best(REPS, () => trimmedMean(robust, TRIM));
  const naiveTrimmedMs = best(REPS, () => naiveTrimmedMean(robust, TRIM));

  const krumInputs = randomVectors(KRUM_N, KRUM_P, 4);
  krum(krumInputs, KRUM_F);
  const krumMs = best(REPS, () => krum(krumInputs, KRUM_F));
  const naiveKrumMs = best(1, () => naiveKrum(krumInputs, KRUM_F));

  const numpy = numpyFedAvgSeconds();

  const results = {
    memcpyGBps: round(gbps(inputBytes, memcpyMs)),
    fedavgGBps: round(gbps(inputBytes, fedavgMs)),
    fedavgVsMemcpy: round(memcpyMs / fedavgMs, 3),
    fedavgMs: round(fedavgMs, 1),
    accumulatorGBps: round(gbps(inputBytes, accumulatorMs)),
    medianMs: round(medianMs),
    medianSpeedupVsNaive: round(naiveMedianMs / medianMs, 1),
    trimmedMeanMs: round(trimmedMs),
    trimmedMeanSpeedupVsNaive: round(naiveTrimmedMs / trimmedMs, 1),
    krumMs: round(krumMs, 1),
    krumSpeedupVsNaive: round(naiveKrumMs / krumMs, 1),
    numpyFedavgGBps: numpy === null ? null : round(gbps(inputBytes, numpy.seconds * 1000)),
    fedavgVsNumpy: numpy === null ? null : round((numpy.seconds * 1000) / fedavgMs, 1),
  };

  const rows: [string, string, string][] = [
    ["memcpy (TypedArray.set), 100 × 1M floats", `${memcpyMs.toFixed(1)} ms`, `${results.memcpyGBps} GB/s`],
    ["fedAvg, 100 × 1M floats", `${fedavgMs.toFixed(1)} ms`, `${results.fedavgGBps} GB/s`],
    ["streaming accumulator, 100 adds + result", `${accumulatorMs.toFixed(1)} ms`, `${results.accumulatorGBps} GB/s`],
    [
      "numpy FedAvg as Flower's aggregate()",
      numpy === null ? "n/a" : `${(numpy.seconds * 1000).toFixed(1)} ms`,
      numpy === null ? "python3+numpy unavailable" : `${results.numpyFedavgGBps} GB/s (numpy ${numpy.numpy})`,
    ],
    ["coordinateMedian, 20 × 100k", `${medianMs.toFixed(2)} ms`, `${results.medianSpeedupVsNaive}× naive`],
    ["  naive: Float32Array.sort per coordinate", `${naiveMedianMs.toFixed(1)} ms`, ""],
    ["trimmedMean (trim 4), 20 × 100k", `${trimmedMs.toFixed(2)} ms`, `${results.trimmedMeanSpeedupVsNaive}× naive`],
    ["  naive: sort per coordinate", `${naiveTrimmedMs.toFixed(1)} ms`, ""],
    ["krum (f = 10), 50 × 100k", `${krumMs.toFixed(1)} ms`, `${results.krumSpeedupVsNaive}× naive`],
    ["  naive: scalar pairwise distances", `${naiveKrumMs.toFixed(1)} ms`, ""],
  ];
  const width = Math.max(...rows.map((row) => row[0].length));
  console.log(`aggregation benchmark — ${new Date().toISOString()}, Node ${process.version}, best of ${REPS}`);
  for (const [name, time, rate] of rows) console.log(`${name.padEnd(width)}  ${time.padStart(10)}  ${rate}`);
  console.log(
    `targets: fedavgVsMemcpy ≥ 0.5: ${results.fedavgVsMemcpy >= 0.5 ? "met" : "MISSED"}; ` +
      `medianSpeedupVsNaive ≥ 3: ${results.medianSpeedupVsNaive >= 3 ? "met" : "MISSED"}; ` +
      `fedAvg faster than numpy: ${results.fedavgVsNumpy === null ? "n/a" : results.fedavgVsNumpy > 1 ? "met" : "MISSED"}`,
  );
  console.log(JSON.stringify(results));
}

main();
