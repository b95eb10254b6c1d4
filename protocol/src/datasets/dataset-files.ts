import { type DatasetManifest, type DatasetShard, manifestCommitment } from "../dataset-manifest.js";
import type { Bytes32 } from "../ids.js";
import { parseCsv } from "./csv-records.js";
import { DatasetFormatError } from "./dataset-format-error.js";
import { parseIdxPair } from "./idx-records.js";
import { parseJsonl } from "./jsonl-records.js";
import type { ParsedRecords } from "./parsed-records.js";

/** One file of a dataset, read into memory: its bytes, its name (the shard's) and where it came from (for errors). */
export interface DatasetFileBytes {
  /** The file's name without directories: the manifest's shard name. */
  readonly name: string;
  /** How errors name the file: its path on disk, or in a browser the path the owner picked it under. */
  readonly path: string;
  readonly bytes: Uint8Array;
}

/** A dataset's files in memory, in the order they are concatenated, and how they are read. */
export type DatasetFiles =
  | {
      readonly format: "idx";
      readonly parts: readonly { readonly images: DatasetFileBytes; readonly labels: DatasetFileBytes }[];
      readonly numClasses: number;
    }
  | {
      readonly format: "csv";
      readonly files: readonly DatasetFileBytes[];
      readonly labelColumn: string;
      readonly numClasses: number;
    }
  | { readonly format: "jsonl"; readonly files: readonly DatasetFileBytes[]; readonly numClasses: number };

/** A dataset's records (features as stored, `featureScale` to apply), its manifest and commitment. */
export interface ReadDataset {
  readonly records: ParsedRecords;
  readonly manifest: DatasetManifest;
  /** `manifestCommitment(manifest)`: what the owner enrols on chain and the trainer checks before every job. */
  readonly commitment: Bytes32;
}

/** Records per class, `numClasses` entries. */
export function labelHistogram(labels: ArrayLike<number>, numClasses: number): number[] {
  const histogram = new Array<number>(numClasses).fill(0);
  for (let i = 0; i < labels.length; i++) {
    const label = labels[i] as number;
    histogram[label] = (histogram[label] ?? 0) + 1;
  }
  return histogram;
}

/** SHA-256 of a file's bytes as lower-case hex, with WebCrypto (Node and browsers alike, native in both). */
async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>));
  let hex = "";
  for (const byte of digest) hex += byte.toString(16).padStart(2, "0");
  return hex;
}

async function shardOf(file: DatasetFileBytes, role: DatasetShard["role"]): Promise<DatasetShard> {
  return { name: file.name, role, sha256: await sha256Hex(file.bytes), bytes: file.bytes.length };
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
 * Validates and hashes a dataset's files and builds its manifest: the one implementation behind the trainer's
 * `loadDataset`, `tributary dataset enrol` and the portal's enrolment in a browser (no Node built-ins: WebCrypto and
 * `DecompressionStream`), so all three commit to the same bytes. Any malformed file throws `DatasetFormatError`
 * naming the file, the line or record, and the problem.
 */
export async function readDatasetFiles(source: DatasetFiles): Promise<ReadDataset> {
  const shards: DatasetShard[] = [];
  const parts: { file: string; records: ParsedRecords }[] = [];
  if (source.format === "idx") {
    for (const part of source.parts) {
      shards.push(await shardOf(part.images, "images"), await shardOf(part.labels, "labels"));
      const records = await parseIdxPair(
        { name: part.images.path, bytes: part.images.bytes },
        { name: part.labels.path, bytes: part.labels.bytes },
        source.numClasses,
      );
      parts.push({ file: part.images.path, records });
    }
  } else {
    for (const file of source.files) {
      shards.push(await shardOf(file, "records"));
      const records =
        source.format === "csv"
          ? parseCsv(file.path, file.bytes, source.labelColumn, source.numClasses)
          : parseJsonl(file.path, file.bytes, source.numClasses);
      parts.push({ file: file.path, records });
    }
  }
  const records = concatenate(parts);
  const manifest: DatasetManifest = {
    version: 1,
    format: source.format,
    recordCount: records.labels.length,
    featureShape: [...records.featureShape],
    numClasses: source.numClasses,
    labelHistogram: labelHistogram(records.labels, source.numClasses),
    ...(source.format === "csv" ? { labelColumn: source.labelColumn } : {}),
    shards,
  };
  return { records, manifest, commitment: manifestCommitment(manifest) };
}
