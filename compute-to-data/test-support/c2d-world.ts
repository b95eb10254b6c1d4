import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { SimulatedEnclave } from "@tributary/enclave-compute";
import { type DatasetId, SeededRandom } from "@tributary/protocol";
import { DatasetPrivacyGuard, type LoadedDataset, loadDataset } from "@tributary/trainer-agent";
import { allowlist } from "../src/algorithms/catalogue.js";
import { type C2dService, startC2dService } from "../src/c2d-service.js";

/** One synthetic record as the test wrote it: three numeric features and a class in 0…2. */
export interface Row {
  readonly age: number;
  readonly income: number;
  readonly score: number;
  readonly label: number;
}

/**
 * `n` seeded records written as a CSV the trainer's loader reads (features age, income, score in that order; the
 * label column last). The rows come back too, so a test computes every true statistic from them on its own.
 */
export async function writeRecords(dir: string, n: number, seed: string): Promise<{ file: string; rows: Row[] }> {
  const random = new SeededRandom(seed);
  const rows: Row[] = Array.from({ length: n }, () => {
    const age = 18 + random.nextInt(70);
    const income = Math.round((30 + 20 * random.nextNormal()) * 100) / 100;
    const score = Math.round(random.nextFloat() * 1000) / 10;
    const label = score < 30 ? 0 : score < 70 ? 1 : 2;
    return { age, income, score, label };
  });
  const file = path.join(dir, "records.csv");
  const lines = ["age,income,score,label", ...rows.map((r) => `${r.age},${r.income},${r.score},${r.label}`)];
  await writeFile(file, `${lines.join("\n")}\n`);
  return { file, rows };
}

export interface NodeWorld {
  readonly dir: string;
  readonly stateDir: string;
  readonly rows: Row[];
  readonly loaded: LoadedDataset;
  readonly guard: DatasetPrivacyGuard;
  readonly service: C2dService;
}

export interface NodeTerms {
  readonly records?: number;
  readonly allow?: readonly string[];
  readonly researchers?: "any" | readonly `0x${string}`[];
  readonly budget?: { epsilon: number; delta: number };
  readonly minRecordsPerCell?: number;
  readonly maxEpsilonPerRun?: number;
  readonly now?: () => number;
}

export const DATASET_ID = "7" as DatasetId;

/** A node over fresh seeded records: the trainer's loader and privacy guard, the simulator, a free port. */
export async function startNodeWorld(terms: NodeTerms = {}): Promise<NodeWorld> {
  const dir = await mkdtemp(path.join(tmpdir(), "c2d-"));
  const stateDir = path.join(dir, "state");
  const { file, rows } = await writeRecords(dir, terms.records ?? 2000, "c2d-records");
  const loaded = await loadDataset({ format: "csv", files: [file], labelColumn: "label", numClasses: 3 });
  const budget = terms.budget ?? { epsilon: 10, delta: 1e-5 };
  const guard = await DatasetPrivacyGuard.open(stateDir, DATASET_ID, { ...budget, microbatchSize: 4 });
  const service = await startC2dService({
    datasetId: DATASET_ID,
    commitment: loaded.commitment,
    dataset: loaded.dataset,
    guard,
    enclave: new SimulatedEnclave({ warn: () => {} }),
    allowed: allowlist(terms.allow ?? ["dp-count", "dp-mean", "dp-histogram", "dp-quantiles"]),
    researchers: terms.researchers ?? "any",
    policy: {
      minRecordsPerCell: terms.minRecordsPerCell ?? 20,
      maxEpsilonPerRun: terms.maxEpsilonPerRun ?? 2,
      maxRequestTtlS: 3600,
    },
    stateDir,
    host: "127.0.0.1",
    port: 0,
    ...(terms.now === undefined ? {} : { now: terms.now }),
  });
  return { dir, stateDir, rows, loaded, guard, service };
}
