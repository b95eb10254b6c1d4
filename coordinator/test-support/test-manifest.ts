import { createHash } from "node:crypto";
import { type DatasetManifest, manifestCommitment } from "@tributary/protocol";

/**
 * A dataset manifest for a scripted trainer: `recordCount` records of one class in one JSONL shard whose hash
 * stands for `tag`. Its commitment is what the dataset enrols; the trainer uploads the manifest after login.
 */
export function testManifest(recordCount: number, tag: string): { manifest: DatasetManifest; commitment: string } {
  const manifest: DatasetManifest = {
    version: 1,
    format: "jsonl",
    recordCount,
    featureShape: [4],
    numClasses: 1,
    labelHistogram: [recordCount],
    shards: [
      { name: "records.jsonl", role: "records", sha256: createHash("sha256").update(tag).digest("hex"), bytes: 1 },
    ],
  };
  return { manifest, commitment: manifestCommitment(manifest) };
}
