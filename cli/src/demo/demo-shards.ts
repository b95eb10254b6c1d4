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

/** Each owner's data directory, and the researcher's held-out records when the run scores contributions. */
export interface Shards {
  readonly runDir: string;
  /**
   * Owner i's directory (`<run>/owner-<i+1>/data`), as a data owner keeps its data: one IDX training pair
   * (`train-0-images-idx3-ubyte`, `train-0-labels-idx1-ubyte`) and its held-out pair (`test-0-…`), which is how
   * `tributary dataset enrol DIR` finds the trainer's `--data` and `--eval-data`.
   */
  readonly owners: readonly string[];
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
  /** Seed of the training split among owners (default "demo-train"): another seed, another draw of the skew. */
  readonly partitionSeed?: string | undefined;
}

function describePartition(partition: DemoPartition): string {
  return partition.kind === "iid" ? "IID split" : `Dirichlet(${partition.alpha}) label skew`;
}

/**
 * Loads the dataset and writes each owner's training shard (IID or Dirichlet) and held-out shard (IID) into the
 * owner's own directory of a fresh run directory; with `holdOutValidation` the first test records (up to 1,000) are
 * the researcher's instead.
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
      ? partitionIid(data.train.count, options.clients, options.partitionSeed ?? "demo-train")
      : partitionDirichlet(data.train.labels, 10, options.clients, {
          alpha: options.partition.alpha,
          seed: options.partitionSeed ?? "demo-train",
          minRecordsPerClient: 2 * options.batchSize,
        });
  const range = (from: number, to: number) => Int32Array.from({ length: to - from }, (_, i) => from + i);
  const ownersTest = held === 0 ? data.test : subsetDataset(data.test, range(held, data.test.count));
  const testParts = partitionIid(ownersTest.count, options.clients, "demo-test");
  const owners: string[] = [];
  for (const [index, part] of trainParts.entries()) {
    const dir = path.join(runDir, `owner-${index + 1}`, "data");
    await writeIdxShards(data.train, [part], dir, { prefix: "train" });
    await writeIdxShards(ownersTest, [testParts[index] as Int32Array], dir, { prefix: "test" });
    owners.push(dir);
  }
  const validation = held === 0 ? undefined : subsetDataset(data.test, range(0, held));
  return { runDir, owners, validation };
}
