import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { labelHistogram } from "@tributary/protocol";
import { describe, expect, it } from "vitest";
import { mnistPackageDigits } from "../test-support/mnist-package.js";
import type { Dataset } from "./dataset.js";
import { TrainingConfigError } from "./errors.js";
import { loadDataset } from "./load-dataset.js";
import { type Partition, partitionDirichlet, partitionIid } from "./partition-dataset.js";
import { writeIdxShards } from "./write-idx-shards.js";

const digits = mnistPackageDigits();
const labels = Int32Array.from(digits.labels);

function expectExactCover(partition: Partition, count: number): void {
  const seen = new Uint8Array(count);
  for (const shard of partition) {
    for (let i = 0; i < shard.length; i++) {
      if (i > 0) expect(shard[i]).toBeGreaterThan(shard[i - 1] as number);
      seen[shard[i] as number] = (seen[shard[i] as number] ?? 0) + 1;
    }
  }
  expect(seen.every((n) => n === 1)).toBe(true);
}

/** Mean total-variation distance between each non-empty client's label mix and the global mix. */
function meanLabelSkew(partition: Partition): number {
  const global = labelHistogram(labels, 10).map((n) => n / labels.length);
  const shards = partition.filter((shard) => shard.length > 0);
  const tv = shards.map((shard) => {
    const mix = labelHistogram(
      Array.from(shard, (i) => labels[i] as number),
      10,
    );
    return 0.5 * mix.reduce((sum, n, k) => sum + Math.abs(n / shard.length - (global[k] as number)), 0);
  });
  return tv.reduce((a, b) => a + b, 0) / tv.length;
}

describe("partitioning", () => {
  it("IID: every record exactly once, sizes within one, same seed same split", () => {
    const parts = partitionIid(labels.length, 7, "seed-a");
    expectExactCover(parts, labels.length);
    const sizes = parts.map((p) => p.length);
    expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
    expect(partitionIid(labels.length, 7, "seed-a")).toEqual(parts);
    expect(partitionIid(labels.length, 7, "seed-b")).not.toEqual(parts);
  });

  it("Dirichlet: every record exactly once and deterministic per seed", () => {
    for (const alpha of [0.05, 1, 1000]) {
      const parts = partitionDirichlet(labels, 10, 10, { alpha, seed: 42 });
      expectExactCover(parts, labels.length);
      expect(partitionDirichlet(labels, 10, 10, { alpha, seed: 42 })).toEqual(parts);
    }
  });

  it("Dirichlet: large α looks IID, small α is strongly label-skewed", () => {
    // ~1,000 records per client. With α = 1000 each client's share of a class is Beta(α, 9α): relative spread
    // √(9/(10·(10α+1)))/0.1 ≈ 3%, so its label mix is within ~0.01 TV of the global mix — below even the
    // sampling noise of an IID split (~0.03). With α = 0.1 most of a class lands on one or two clients, so a
    // client's mix concentrates on few classes: TV from the global mix well above 0.5.
    const iid = meanLabelSkew(partitionIid(labels.length, 10, 1));
    const large = meanLabelSkew(partitionDirichlet(labels, 10, 10, { alpha: 1000, seed: 1 }));
    const medium = meanLabelSkew(partitionDirichlet(labels, 10, 10, { alpha: 1, seed: 1 }));
    const small = meanLabelSkew(partitionDirichlet(labels, 10, 10, { alpha: 0.1, seed: 1 }));
    expect(large).toBeLessThan(0.05);
    expect(iid).toBeLessThan(0.05);
    expect(small).toBeGreaterThan(0.5);
    expect(small).toBeGreaterThan(medium);
    expect(medium).toBeGreaterThan(large);
  });

  it("Dirichlet: redraws until every client has the minimum, or says it cannot", () => {
    const parts = partitionDirichlet(labels, 10, 10, { alpha: 0.1, seed: 3, minRecordsPerClient: 50 });
    expect(Math.min(...parts.map((p) => p.length))).toBeGreaterThanOrEqual(50);
    expect(() =>
      partitionDirichlet(labels, 10, 10, { alpha: 0.1, seed: 3, minRecordsPerClient: 2000, maxDraws: 3 }),
    ).toThrow(TrainingConfigError);
    expect(() => partitionDirichlet(labels, 10, 10, { alpha: 0, seed: 3 })).toThrow(/positive finite/);
    expect(() => partitionDirichlet([0, 1, 2], 2, 2, { alpha: 1, seed: 3 })).toThrow(/record 2 has label 2/);
  });

  it("writes each client's shard as IDX files that load back to exactly its records", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "trainer-agent-shards-"));
    try {
      const dataset: Dataset = {
        features: Float32Array.from(digits.images.subarray(0, 300 * 784)),
        labels: labels.slice(0, 300),
        featureShape: [28, 28],
        numClasses: 10,
        count: 300,
        featureScale: 1 / 255,
      };
      const parts = partitionDirichlet(dataset.labels, 10, 3, { alpha: 0.5, seed: 9 });
      for (const gzip of [false, true]) {
        const written = await writeIdxShards(dataset, parts, path.join(dir, String(gzip)), { gzip });
        for (const [client, files] of written.entries()) {
          const shard = parts[client] ?? new Int32Array();
          const { dataset: loaded } = await loadDataset({ format: "idx", parts: [files], numClasses: 10 });
          expect(loaded.count).toBe(shard.length);
          expect(Array.from(loaded.labels)).toEqual(Array.from(shard, (i) => labels[i]));
          const first = shard[0] ?? 0;
          expect(Array.from(loaded.features.subarray(0, 784))).toEqual(
            Array.from(digits.images.subarray(first * 784, (first + 1) * 784)),
          );
        }
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
