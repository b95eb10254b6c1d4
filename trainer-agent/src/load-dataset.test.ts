import { createHash } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { gzipSync } from "node:zlib";
import { DatasetFormatError } from "@tributary/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { idxBytes, type MnistIdxFiles, mnistPackageDigits, writeMnistIdx } from "../test-support/mnist-package.js";
import { DatasetCommitmentMismatchError } from "./errors.js";
import { loadDataset, loadEnrolledDataset } from "./load-dataset.js";

const TRAIN = 600;
const TEST = 200;
let dir: string;
let files: MnistIdxFiles;
let gzFiles: MnistIdxFiles;

const sha256 = (bytes: Uint8Array | string) => createHash("sha256").update(bytes).digest("hex");

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "trainer-agent-data-"));
  files = await writeMnistIdx(path.join(dir, "raw"), { train: TRAIN, test: TEST });
  gzFiles = await writeMnistIdx(path.join(dir, "gz"), { train: TRAIN, test: TEST }, true);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function corrupt(name: string, bytes: Uint8Array): Promise<string> {
  const file = path.join(dir, name);
  await writeFile(file, bytes);
  return file;
}

async function expectFormatError(promise: Promise<unknown>, file: string, pattern: RegExp): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DatasetFormatError);
  expect((error as DatasetFormatError).file).toBe(file);
  expect((error as Error).message).toMatch(pattern);
}

describe("IDX (MNIST family)", () => {
  it("loads real MNIST digits byte for byte, gzipped or not, with a manifest and its commitment", async () => {
    const digits = mnistPackageDigits();
    for (const source of [files, gzFiles]) {
      const { dataset, manifest, commitment } = await loadDataset({
        format: "idx",
        parts: [source.train],
        numClasses: 10,
      });
      expect(dataset.count).toBe(TRAIN);
      expect(dataset.featureShape).toEqual([28, 28]);
      expect(dataset.featureScale).toBe(1 / 255);
      expect(Array.from(dataset.labels)).toEqual(Array.from(digits.labels.subarray(0, TRAIN)));
      expect(Array.from(dataset.features.subarray(784 * 17, 784 * 18))).toEqual(
        Array.from(digits.images.subarray(784 * 17, 784 * 18)),
      );

      const histogram = new Array(10).fill(0);
      for (const label of digits.labels.subarray(0, TRAIN)) histogram[label] += 1;
      const imagesBytes = await readFile(source.train.images);
      const labelsBytes = await readFile(source.train.labels);
      const gz = source === gzFiles ? ".gz" : "";
      // The canonical encoding written out by hand: keys sorted, no whitespace.
      const canonical =
        `{"featureShape":[28,28],"format":"idx","labelHistogram":[${histogram.join(",")}],"numClasses":10,` +
        `"recordCount":${TRAIN},"shards":[` +
        `{"bytes":${imagesBytes.length},"name":"train-images-idx3-ubyte${gz}","role":"images","sha256":"${sha256(imagesBytes)}"},` +
        `{"bytes":${labelsBytes.length},"name":"train-labels-idx1-ubyte${gz}","role":"labels","sha256":"${sha256(labelsBytes)}"}` +
        `],"version":1}`;
      expect(manifest.labelHistogram).toEqual(histogram);
      expect(commitment).toBe(`0x${sha256(canonical)}`);
    }
  });

  it("concatenates several parts in order", async () => {
    const { dataset, manifest } = await loadDataset({
      format: "idx",
      parts: [files.train, gzFiles.test],
      numClasses: 10,
    });
    expect(dataset.count).toBe(TRAIN + TEST);
    expect(Array.from(dataset.labels.subarray(TRAIN))).toEqual(
      Array.from(mnistPackageDigits().labels.subarray(TRAIN, TRAIN + TEST)),
    );
    expect(manifest.shards.map((s) => s.role)).toEqual(["images", "labels", "images", "labels"]);
  });

  it("names the file and the problem for corrupted copies", async () => {
    const images = new Uint8Array(await readFile(files.train.images));
    const labels = new Uint8Array(await readFile(files.train.labels));

    const truncated = await corrupt("truncated-images", images.subarray(0, images.length - 100));
    await expectFormatError(
      loadDataset({ format: "idx", parts: [{ images: truncated, labels: files.train.labels }], numClasses: 10 }),
      truncated,
      /truncated: dimensions \[600, 28, 28\] need 470416 bytes, the file has 470316/,
    );

    const badMagic = images.slice();
    badMagic[2] = 0x42;
    const wrongMagic = await corrupt("wrong-magic", badMagic);
    await expectFormatError(
      loadDataset({ format: "idx", parts: [{ images: wrongMagic, labels: files.train.labels }], numClasses: 10 }),
      wrongMagic,
      /bad IDX magic number 0x00004203/,
    );

    const badLabel = labels.slice();
    badLabel[8 + 5] = 10;
    const outOfRange = await corrupt("label-out-of-range", badLabel);
    await expectFormatError(
      loadDataset({ format: "idx", parts: [{ images: files.train.images, labels: outOfRange }], numClasses: 10 }),
      outOfRange,
      /\(record 5\): label 10 is not a class index in \[0, 10\)/,
    );

    const fewer = await corrupt("fewer-labels", idxBytes([TRAIN - 1], labels.subarray(8, 8 + TRAIN - 1)));
    await expectFormatError(
      loadDataset({ format: "idx", parts: [{ images: files.train.images, labels: fewer }], numClasses: 10 }),
      fewer,
      /599 labels for 600 images .* the counts must match/,
    );

    const gz = new Uint8Array(await readFile(gzFiles.train.images));
    const cutGz = await corrupt("cut.gz", gz.subarray(0, gz.length >> 1));
    await expectFormatError(
      loadDataset({ format: "idx", parts: [{ images: cutGz, labels: files.train.labels }], numClasses: 10 }),
      cutGz,
      /corrupt gzip stream/,
    );

    const missing = path.join(dir, "no-such-file");
    await expectFormatError(
      loadDataset({ format: "idx", parts: [{ images: missing, labels: files.train.labels }], numClasses: 10 }),
      missing,
      /cannot read the file \(ENOENT\)/,
    );
  });

  it("accepts the enrolled commitment and refuses files that changed by one pixel", async () => {
    const source = { format: "idx" as const, parts: [files.train], numClasses: 10 };
    const { commitment } = await loadDataset(source);
    await expect(loadEnrolledDataset(source, commitment.toUpperCase().replace("0X", "0x"))).resolves.toMatchObject({
      commitment,
    });
    const images = new Uint8Array(await readFile(files.train.images));
    images[1000] = (images[1000] ?? 0) ^ 1;
    const tampered = await corrupt("train-images-idx3-ubyte", images);
    const error = await loadEnrolledDataset(
      { ...source, parts: [{ images: tampered, labels: files.train.labels }] },
      commitment,
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DatasetCommitmentMismatchError);
    expect((error as Error).message).toContain(`expected ${commitment}`);
  });
});

describe("CSV", () => {
  it("reads numeric columns around the label column and hashes the file", async () => {
    const text = "a,b,label,c\r\n1,2.5,0,-3\r\n\r\n4e-1,5,2,6\r\n.5,+7,1,8\r\n";
    const file = await corrupt("table.csv", Buffer.from(text));
    const { dataset, manifest } = await loadDataset({
      format: "csv",
      files: [file],
      labelColumn: "label",
      numClasses: 3,
    });
    expect(dataset.featureShape).toEqual([3]);
    expect(dataset.features).toEqual(Float32Array.from([1, 2.5, -3, 0.4, 5, 6, 0.5, 7, 8]));
    expect(Array.from(dataset.labels)).toEqual([0, 2, 1]);
    expect(manifest).toMatchObject({ format: "csv", labelColumn: "label", recordCount: 3, labelHistogram: [1, 1, 1] });
    expect(manifest.shards[0]?.sha256).toBe(sha256(text));
  });

  it.each([
    ["x,y\n1,0\n", /no column "label" in the header/, 1],
    ["a,label\n1,0\n2\n", /1 fields, the header has 2/, 3],
    ["a,label\n1,0\n\nabc,1\n", /column "a" is not a number: "abc"/, 4],
    ["a,label\n1,0\nNaN,1\n", /column "a" is not a number/, 3],
    ["a,label\n1,0\n2,5\n", /label 5 is not a class index in \[0, 3\)/, 3],
    ["a,label\n1,0.5\n", /label 0.5 is not a class index/, 2],
  ])("names the line of %j", async (text, pattern, line) => {
    const file = await corrupt(`bad-${line}.csv`, Buffer.from(text));
    const error = await loadDataset({ format: "csv", files: [file], labelColumn: "label", numClasses: 3 }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(DatasetFormatError);
    expect(error).toMatchObject({ details: { line } });
    expect((error as Error).message).toMatch(pattern);
  });
});

describe("JSONL", () => {
  it("reads one record per line", async () => {
    const file = await corrupt("records.jsonl", Buffer.from('{"x":[1,2],"y":1}\n\n{"y":0,"x":[3.5,-4]}\n'));
    const { dataset, manifest } = await loadDataset({ format: "jsonl", files: [file], numClasses: 2 });
    expect(Array.from(dataset.features)).toEqual([1, 2, 3.5, -4]);
    expect(Array.from(dataset.labels)).toEqual([1, 0]);
    expect(manifest).toMatchObject({ format: "jsonl", recordCount: 2, featureShape: [2], labelHistogram: [1, 1] });
  });

  it.each([
    ['{"x":[1],"y":0}\n{"x":[1,2],"y":0}\n', /"x" has 2 values, earlier records have 1/, 2],
    ['{"x":[1],"y":0}\n{"x":[1],"y":0\n', /not valid JSON/, 2],
    ['{"x":[1],"y":2}\n', /label 2 is not a class index in \[0, 2\)/, 1],
    ['{"x":["1"],"y":0}\n', /"x"\[0\] is not a finite number/, 1],
    ["[1,2]\n", /expected an object/, 1],
  ])("names the line of %j", async (text, pattern, line) => {
    const file = await corrupt(`bad-${line}.jsonl`, Buffer.from(text));
    const error = await loadDataset({ format: "jsonl", files: [file], numClasses: 2 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DatasetFormatError);
    expect(error).toMatchObject({ details: { line } });
    expect((error as Error).message).toMatch(pattern);
  });

  it("refuses a gzipped JSONL file instead of misreading it", async () => {
    const file = await corrupt("plain-name.jsonl", gzipSync(Buffer.from('{"x":[1],"y":0}\n')));
    await expect(loadDataset({ format: "jsonl", files: [file], numClasses: 1 })).rejects.toThrow(DatasetFormatError);
  });
});
