import { readFile } from "node:fs/promises";
import path from "node:path";
import {
  type Bytes32,
  type DatasetFileBytes,
  DatasetFormatError,
  type DatasetManifest,
  type ReadDataset,
  readDatasetFiles,
} from "@tributary/protocol";
import type { Dataset } from "./dataset.js";
import { verifyDatasetCommitment } from "./dataset-manifest.js";

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

async function readBytes(file: string): Promise<DatasetFileBytes> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(file);
  } catch (error) {
    throw new DatasetFormatError(file, `cannot read the file (${(error as NodeJS.ErrnoException).code ?? error})`);
  }
  return { name: path.basename(file), path: file, bytes };
}

/**
 * Reads, validates and hashes a local dataset and builds its manifest: the files read from disk, then protocol's
 * `readDatasetFiles` (the code the portal runs on the files an owner picks in a browser). Any malformed file throws
 * `DatasetFormatError` naming the file, the line or record, and the problem.
 */
export async function loadDataset(source: DatasetSource): Promise<LoadedDataset> {
  let read: ReadDataset;
  if (source.format === "idx") {
    const parts: { images: DatasetFileBytes; labels: DatasetFileBytes }[] = [];
    for (const part of source.parts)
      parts.push({ images: await readBytes(part.images), labels: await readBytes(part.labels) });
    read = await readDatasetFiles({ format: "idx", parts, numClasses: source.numClasses });
  } else {
    const files: DatasetFileBytes[] = [];
    for (const file of source.files) files.push(await readBytes(file));
    read = await readDatasetFiles({ ...source, files });
  }
  const dataset: Dataset = { ...read.records, numClasses: source.numClasses, count: read.records.labels.length };
  return { dataset, manifest: read.manifest, commitment: read.commitment };
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
