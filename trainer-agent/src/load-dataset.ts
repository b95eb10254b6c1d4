import { readFile } from "node:fs/promises";
import path from "node:path";
import { type Bytes32, type DatasetManifest, type DatasetShard, manifestCommitment } from "@tributary/protocol";
import { parseCsv } from "./csv-dataset.js";
import { type Dataset, labelHistogram } from "./dataset.js";
import { sha256Hex, verifyDatasetCommitment } from "./dataset-manifest.js";
import { DatasetFormatError } from "./errors.js";
import { parseIdxPair } from "./idx-dataset.js";
import { parseJsonl } from "./jsonl-dataset.js";
import type { ParsedRecords } from "./parsed-records.js";

/** Where a data owner's records live. Several parts/files are concatenated in the order given. */
export type DatasetSource =
  | {
      readonly format: "idx";
      readonly parts: readonly { images: string; labels: string }[];
      readonly numClasses: number;
    }
  | {
      readonly format: "csv";
      readonly files: readonly string[];
      readonly labelColumn: string;
      readonly numClasses: number;
    }
  | { readonly format: "jsonl"; readonly files: readonly string[]; readonly numClasses: number };

export interface LoadedDataset {
  readonly dataset: Dataset;
  readonly manifest: DatasetManifest;
  /** `manifestCommitment(manifest)`: what the owner enrols on chain. */
  readonly commitment: Bytes32;
}

async function readShard(
  file: string,
  role: DatasetShard["role"],
): Promise<{ bytes: Uint8Array; shard: DatasetShard }> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(file);
  } catch (error) {
    throw new DatasetFormatError(file, `cannot read the file (${(error as NodeJS.ErrnoException).code ?? error})`);
  }
  return { bytes, shard: { name: path.basename(file), role, sha256: sha256Hex(bytes), bytes: bytes.length } };
}

function concatenate(parts: readonly { file: string; records: ParsedRecords }[]): ParsedRecords {
  const first = parts[0]?.records;
  if (first === undefined) throw new DatasetFormatError("(none)", "a dataset needs at least one file");
  for (const { file, records } of parts) {
    if (
      records.featureShape.join("x") !== first.featureShape.join("x") ||
      records.featureScale !== first.featureScale
    ) {
      throw new DatasetFormatError(
        file,
        `records of shape [${records.featureShape}] do not match the first file's [${first.featureShape}]`,
      );
    }
  }
  if (parts.length === 1) return first;
  const features = new Float32Array(parts.reduce((n, part) => n + part.records.features.length, 0));
  const labels = new Int32Array(parts.reduce((n, part) => n + part.records.labels.length, 0));
  let fo = 0;
  let lo = 0;
  for (const { records } of parts) {
    features.set(records.features, fo);
    labels.set(records.labels, lo);
    fo += records.features.length;
    lo += records.labels.length;
  }
  return { ...first, features, labels };
}

/**
 * Reads, validates and hashes a local dataset and builds its manifest. Any malformed file throws
 * `DatasetFormatError` naming the file, the line or record, and the problem.
 */
export async function loadDataset(source: DatasetSource): Promise<LoadedDataset> {
  const shards: DatasetShard[] = [];
  const parts: { file: string; records: ParsedRecords }[] = [];
  if (source.format === "idx") {
    for (const part of source.parts) {
      const images = await readShard(part.images, "images");
      const labels = await readShard(part.labels, "labels");
      shards.push(images.shard, labels.shard);
      const records = parseIdxPair(
        { name: part.images, bytes: images.bytes },
        { name: part.labels, bytes: labels.bytes },
        source.numClasses,
      );
      parts.push({ file: part.images, records });
    }
  } else {
    for (const file of source.files) {
      const { bytes, shard } = await readShard(file, "records");
      shards.push(shard);
      const records =
        source.format === "csv"
          ? parseCsv(file, bytes, source.labelColumn, source.numClasses)
          : parseJsonl(file, bytes, source.numClasses);
      parts.push({ file, records });
    }
  }
  const records = concatenate(parts);
  const dataset: Dataset = { ...records, numClasses: source.numClasses, count: records.labels.length };
  const manifest: DatasetManifest = {
    version: 1,
    format: source.format,
    recordCount: dataset.count,
    featureShape: [...dataset.featureShape],
    numClasses: dataset.numClasses,
    labelHistogram: labelHistogram(dataset.labels, dataset.numClasses),
    ...(source.format === "csv" ? { labelColumn: source.labelColumn } : {}),
    shards,
  };
  return { dataset, manifest, commitment: manifestCommitment(manifest) };
}

/**
 * Loads a dataset and checks it against the commitment its owner enrolled; throws
 * `DatasetCommitmentMismatchError` when any file, count, shape or label differs.
 */
export async function loadEnrolledDataset(source: DatasetSource, enrolledCommitment: string): Promise<LoadedDataset> {
  const loaded = await loadDataset(source);
  verifyDatasetCommitment(loaded.manifest, enrolledCommitment);
  return loaded;
}
