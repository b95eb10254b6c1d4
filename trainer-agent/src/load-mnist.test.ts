import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import { gzipSync } from "node:zlib";
import { DatasetFormatError } from "@tributary/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { idxBytes } from "../test-support/mnist-package.js";
import { loadMnistIdx, loadMnistPackage, mnistIdxFiles } from "./load-mnist.js";

let dir: string;
/** Three 2×2 "images" and their labels, written by hand: train plain, t10k gzipped. */
const TRAIN_PIXELS = Uint8Array.from([0, 1, 2, 3, 10, 20, 30, 40, 255, 254, 253, 252]);
const TRAIN_LABELS = Uint8Array.from([7, 0, 9]);
const TEST_PIXELS = Uint8Array.from([5, 6, 7, 8]);
const TEST_LABELS = Uint8Array.from([3]);

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "trainer-agent-mnist-"));
  await writeFile(path.join(dir, "train-images-idx3-ubyte"), idxBytes([3, 2, 2], TRAIN_PIXELS));
  await writeFile(path.join(dir, "train-labels-idx1-ubyte"), idxBytes([3], TRAIN_LABELS));
  await writeFile(path.join(dir, "t10k-images-idx3-ubyte.gz"), gzipSync(idxBytes([1, 2, 2], TEST_PIXELS)));
  await writeFile(path.join(dir, "t10k-labels-idx1-ubyte.gz"), gzipSync(idxBytes([1], TEST_LABELS)));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("loadMnistIdx", () => {
  it("finds each split's files plain or gzipped and loads them as written", async () => {
    expect(mnistIdxFiles(dir, "test")).toEqual({
      images: path.join(dir, "t10k-images-idx3-ubyte.gz"),
      labels: path.join(dir, "t10k-labels-idx1-ubyte.gz"),
    });
    const train = (await loadMnistIdx(dir, "train")).dataset;
    expect(train).toMatchObject({ count: 3, featureShape: [2, 2], numClasses: 10, featureScale: 1 / 255 });
    expect(Array.from(train.features)).toEqual(Array.from(TRAIN_PIXELS));
    expect(Array.from(train.labels)).toEqual([7, 0, 9]);
    const test = (await loadMnistIdx(dir, "test")).dataset;
    expect(Array.from(test.features)).toEqual([5, 6, 7, 8]);
    expect(Array.from(test.labels)).toEqual([3]);
  });

  it("names the missing file of a directory that lacks a split", async () => {
    const empty = path.join(dir, "empty");
    expect(mnistIdxFiles(empty, "train")).toEqual({ images: undefined, labels: undefined });
    const error = await loadMnistIdx(empty, "train").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DatasetFormatError);
    expect((error as DatasetFormatError).file).toBe(path.join(empty, "train-images-idx3-ubyte"));
  });
});

describe("loadMnistPackage", () => {
  it("holds the package's 10,000 digits as bytes, digit by digit, as the package's own accessor reads them", () => {
    const mnist = createRequire(import.meta.url)("mnist") as { length: number; get(i: number): number[] }[];
    const digits = loadMnistPackage();
    expect(digits).toMatchObject({ count: 10_000, featureShape: [28, 28], numClasses: 10, featureScale: 1 / 255 });
    let record = 0;
    for (let digit = 0; digit < 10; digit++) {
      const samples = mnist[digit] as { length: number; get(i: number): number[] };
      for (const which of [0, samples.length - 1]) {
        const at = record + which;
        expect(digits.labels[at]).toBe(digit);
        const bytes = samples.get(which).map((v) => Math.round(v * 255));
        expect(Array.from(digits.features.subarray(at * 784, (at + 1) * 784))).toEqual(bytes);
      }
      record += samples.length;
    }
    expect(record).toBe(10_000);
  });
});
