import { createHash } from "node:crypto";
import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { readPickedDataset } from "./picked-files.js";

/** A picked file as the page sees it: a name, the path under the folder picked, and bytes. */
function picked(name: string, bytes: Uint8Array, folder?: string) {
  return {
    name,
    webkitRelativePath: folder === undefined ? "" : `${folder}/${name}`,
    arrayBuffer: async () => new Uint8Array(bytes).buffer,
  };
}

/** An IDX file written byte by byte (big-endian header), independent of the code under test. */
function idx(type: number, dims: number[], values: number[]): Uint8Array {
  const header = [
    0,
    0,
    type,
    dims.length,
    ...dims.flatMap((d) => [d >>> 24, (d >>> 16) & 255, (d >>> 8) & 255, d & 255]),
  ];
  return Uint8Array.from([...header, ...values]);
}

const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");
const commitmentOf = (json: string) => `0x${createHash("sha256").update(json).digest("hex")}`;

const OPTIONS = { format: undefined, labelColumn: "label", numClasses: 3 } as const;

describe("a dataset read from the files an owner picks", () => {
  it("an IDX folder: the training pair (gzipped) chosen, held-out and nested files left out, commitment by hand", async () => {
    const images = gzipSync(idx(8, [3, 2, 2], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 255]));
    const labels = idx(8, [3], [2, 0, 2]);
    const files = [
      picked("train-images-idx3-ubyte.gz", images, "digits"),
      picked("train-labels-idx1-ubyte", labels, "digits"),
      picked("t10k-images-idx3-ubyte", idx(8, [1, 2, 2], [1, 1, 1, 1]), "digits"),
      picked("t10k-labels-idx1-ubyte", idx(8, [1], [1]), "digits"),
      picked("README.txt", new TextEncoder().encode("hello"), "digits"),
    ];
    const read = await readPickedDataset(files, OPTIONS);
    // The manifest's canonical JSON (sorted keys, no spaces), written out here by hand.
    const json =
      `{"featureShape":[2,2],"format":"idx","labelHistogram":[1,0,2],"numClasses":3,"recordCount":3,"shards":[` +
      `{"bytes":${images.length},"name":"train-images-idx3-ubyte.gz","role":"images","sha256":"${sha256(images)}"},` +
      `{"bytes":${labels.length},"name":"train-labels-idx1-ubyte","role":"labels","sha256":"${sha256(labels)}"}],"version":1}`;
    expect(read.commitment).toBe(commitmentOf(json));
    expect(read.choice.evaluation).toEqual({ data: "t10k-images-idx3-ubyte", labels: "t10k-labels-idx1-ubyte" });
    expect(read.ignored).toEqual([
      "digits/t10k-images-idx3-ubyte",
      "digits/t10k-labels-idx1-ubyte",
      "digits/README.txt",
    ]);
  });

  it("a CSV file picked alone", async () => {
    const csv = new TextEncoder().encode("a,b,label\n1,2,0\n3,4,2\n");
    const read = await readPickedDataset([picked("owner.csv", csv)], OPTIONS);
    const json =
      `{"featureShape":[2],"format":"csv","labelColumn":"label","labelHistogram":[1,0,1],"numClasses":3,"recordCount":2,` +
      `"shards":[{"bytes":${csv.length},"name":"owner.csv","role":"records","sha256":"${sha256(csv)}"}],"version":1}`;
    expect(read.commitment).toBe(commitmentOf(json));
  });

  it("refuses records that do not parse, naming the file and line, and a set that is not one dataset", async () => {
    const bad = new TextEncoder().encode("a,label\n1,0\nx,1\n");
    await expect(readPickedDataset([picked("bad.csv", bad, "mine")], OPTIONS)).rejects.toThrow(
      'mine/bad.csv (line 3): column "a" is not a number: "x"',
    );
    await expect(readPickedDataset([picked("one.csv", bad), picked("two.csv", bad)], OPTIONS)).rejects.toThrow(
      /more than one csv training file \(found: one\.csv, two\.csv\); pick only the training records/,
    );
    await expect(readPickedDataset([picked("a.csv", bad), picked("b.jsonl", bad)], OPTIONS)).rejects.toThrow(
      /holds csv and jsonl files: choose one in “Format”/,
    );
    const outOfRange = new TextEncoder().encode('{"x":[1],"y":7}\n');
    await expect(readPickedDataset([picked("r.jsonl", outOfRange)], OPTIONS)).rejects.toThrow(
      /r\.jsonl \(line 1\): label 7 is not a class index in \[0, 3\)/,
    );
  });
});
