import { mkdir } from "node:fs/promises";
import path from "node:path";
import {
  type Dataset,
  partitionDirichlet,
  partitionIid,
  subsetDataset,
  writeIdxShards,
} from "@tributary/trainer-agent";
import type { ProgressView } from "../job/progress-view.js";
import { loadDemoDataset } from "./demo-dataset.js";
import { validationRecords } from "./demo-validation-set.js";

export type DemoPartition = { kind: "iid" } | { kind: "dirichlet"; alpha: number };

/** Each owner's IDX files, and the researcher's held-out records when the run scores contributions. */
export interface Shards {
  readonly runDir: string;
  readonly train: readonly { images: string; labels: string }[];
  readonly test: readonly { images: string; labels: string }[];
  /** The first records of the test split, which no owner holds (present with `holdOutValidation`). */
  readonly validation: Dataset | undefined;
}

export interface ShardOptions {
  readonly dataset: string;
  readonly dataDir: string;
  readonly clients: number;
  readonly partition: DemoPartition;
  readonly batchSize: number;
  readonly byzantine?: { readonly count: number; readonly attack: string } | undefined;
  /** Keep the first test records for the researcher's validation set; the owners' held-out shards get the rest. */
  readonly holdOutValidation: boolean;
}

function describePartition(partition: DemoPartition): string {
  return partition.kind === "iid" ? "IID split" : `Dirichlet(${partition.alpha}) label skew`;
}

/**
 * Loads the dataset and writes each owner's training shard (IID or Dirichlet) and held-out shard (IID) into a
 * fresh run directory; with `holdOutValidation` the first test records (up to 1,000) are the researcher's instead.
 */
export async function writeShards(options: ShardOptions, view: ProgressView): Promise<Shards> {
  const data = await loadDemoDataset(options.dataset);
  const byzantine =
    options.byzantine === undefined || options.byzantine.count === 0
      ? ""
      : `, the first ${options.byzantine.count} Byzantine (${options.byzantine.attack})`;
  const held = options.holdOutValidation ? validationRecords(data.test.count) : 0;
  view.note(
    `dataset: ${data.name}: ${data.train.count} training and ${data.test.count} held-out records, ${options.clients} owners${byzantine}, ${describePartition(options.partition)}` +
      (held === 0 ? "" : `; the first ${held} held-out records are the researcher's validation set`),
  );
  const runDir = path.resolve(options.dataDir, "demo", `run-${Date.now()}`);
  await mkdir(runDir, { recursive: true });
  const trainParts =
    options.partition.kind === "iid"
      ? partitionIid(data.train.count, options.clients, "demo-train")
      : partitionDirichlet(data.train.labels, 10, options.clients, {
          alpha: options.partition.alpha,
          seed: "demo-train",
          minRecordsPerClient: 2 * options.batchSize,
        });
  const train = await writeIdxShards(data.train, trainParts, runDir, { prefix: "train" });
  const range = (from: number, to: number) => Int32Array.from({ length: to - from }, (_, i) => from + i);
  const ownersTest = held === 0 ? data.test : subsetDataset(data.test, range(held, data.test.count));
  const test = await writeIdxShards(ownersTest, partitionIid(ownersTest.count, options.clients, "demo-test"), runDir, {
    prefix: "test",
  });
  const validation = held === 0 ? undefined : subsetDataset(data.test, range(0, held));
  return { runDir, train, test, validation };
}
