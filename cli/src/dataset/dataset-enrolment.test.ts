import { createHash } from "node:crypto";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeMnistIdx } from "../../../trainer-agent/test-support/mnist-package.js";
import { resolveDatasetDir } from "./dataset-dir.js";
import { MANIFEST_FILE, prepareEnrolment } from "./dataset-enrolment.js";

let root: string;
beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), "tributary-enrol-"));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const sha256 = (bytes: Uint8Array | string) => createHash("sha256").update(bytes).digest("hex");
const defaults = { labelColumn: "label", numClasses: 10 };

describe("dataset enrol's manifest", () => {
  it("commits to the training IDX pair of an MNIST directory, with t10k as the trainer's held-out data", async () => {
    const dir = path.join(root, "mnist");
    const files = await writeMnistIdx(dir, { train: 120, test: 30 });
    const prepared = await prepareEnrolment(dir, defaults);
    expect(prepared.dir.source).toEqual({ format: "idx", parts: [files.train], numClasses: 10 });
    expect(prepared.dir.trainerArgs).toEqual([
      "--format",
      "idx",
      "--data",
      files.train.images,
      "--labels",
      files.train.labels,
      "--eval-data",
      files.test.images,
      "--eval-labels",
      files.test.labels,
      "--num-classes",
      "10",
    ]);
    // The manifest describes exactly the training files: their bytes' SHA-256 and the 120 records written.
    const { manifest } = prepared;
    expect(manifest.recordCount).toBe(120);
    expect(manifest.featureShape).toEqual([28, 28]);
    expect(manifest.shards).toEqual([
      {
        name: "train-images-idx3-ubyte",
        role: "images",
        sha256: sha256(await readFile(files.train.images)),
        bytes: 16 + 120 * 784,
      },
      {
        name: "train-labels-idx1-ubyte",
        role: "labels",
        sha256: sha256(await readFile(files.train.labels)),
        bytes: 8 + 120,
      },
    ]);
    // The file written beside the data is what the commitment hashes, and the metadata URI names it by content.
    const written = await readFile(path.join(dir, MANIFEST_FILE));
    expect(prepared.manifestFile).toBe(path.join(dir, MANIFEST_FILE));
    expect(`0x${sha256(written)}`).toBe(prepared.commitment);
    expect(JSON.parse(written.toString("utf8"))).toEqual(manifest);
    expect(prepared.metadataURI).toMatch(/^ipfs:\/\/bafkrei[a-z2-7]{52}$/);
    // Enrolling again finds the same files (the manifest file itself is not data) and the same commitment.
    expect((await prepareEnrolment(dir, defaults)).commitment).toBe(prepared.commitment);
  });

  it("takes a lone CSV file with its label column, and the owner's own metadata URI and manifest path", async () => {
    const dir = path.join(root, "csv");
    await mkdir(dir);
    const csv = "x1,x2,label\n0.5,1,0\n2,0.25,1\n1,1,1\n";
    await writeFile(path.join(dir, "records.csv"), csv);
    const out = path.join(root, "csv-manifest.json");
    const prepared = await prepareEnrolment(dir, {
      labelColumn: "label",
      numClasses: 2,
      metadataURI: "https://owner.example/datasets/1",
      manifestOut: out,
    });
    expect(prepared.manifest).toMatchObject({
      format: "csv",
      recordCount: 3,
      featureShape: [2],
      labelHistogram: [1, 2],
      labelColumn: "label",
      shards: [{ name: "records.csv", role: "records", sha256: sha256(csv), bytes: csv.length }],
    });
    expect(prepared.metadataURI).toBe("https://owner.example/datasets/1");
    expect(`0x${sha256(await readFile(out))}`).toBe(prepared.commitment);
    expect(prepared.dir.trainerArgs).toContain("--label-column");
  });

  it("refuses a directory it cannot read as one dataset, saying what it found and what to give", async () => {
    await expect(resolveDatasetDir(path.join(root, "missing"), defaults)).rejects.toThrow(/missing: not a directory/);
    const empty = path.join(root, "empty");
    await mkdir(empty);
    await expect(resolveDatasetDir(empty, defaults)).rejects.toThrow(/holds no dataset files/);
    const mixed = path.join(root, "mixed");
    await mkdir(mixed);
    await writeFile(path.join(mixed, "a.csv"), "x,label\n1,0\n");
    await writeFile(path.join(mixed, "b.jsonl"), '{"features":[1],"label":0}\n');
    await expect(resolveDatasetDir(mixed, defaults)).rejects.toThrow(
      /holds csv and jsonl files: choose one with --format/,
    );
    await writeFile(path.join(mixed, "c.csv"), "x,label\n1,0\n");
    await expect(resolveDatasetDir(mixed, { ...defaults, format: "csv" })).rejects.toThrow(
      /more than one csv training file \(found: a\.csv, c\.csv\); name the training records with --data/,
    );
    const chosen = await resolveDatasetDir(mixed, { ...defaults, format: "csv", data: "c.csv" });
    expect(chosen.source).toEqual({
      format: "csv",
      files: [path.join(mixed, "c.csv")],
      labelColumn: "label",
      numClasses: 10,
    });
    const nowhere = path.join(root, "no-such-dir", "m.json");
    await expect(
      prepareEnrolment(mixed, { ...defaults, format: "csv", data: "c.csv", manifestOut: nowhere }),
    ).rejects.toThrow(`cannot write the manifest to ${nowhere} (ENOENT): choose another file with --manifest-out`);
    await expect(resolveDatasetDir(mixed, { ...defaults, format: "idx", data: "a.csv" })).rejects.toThrow(
      /--data of an IDX dataset needs --labels/,
    );
  });
});
