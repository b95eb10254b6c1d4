import { type DatasetManifest, manifestCommitment } from "@tributary/protocol";
import { DatasetCommitmentMismatchError } from "./errors.js";

/**
 * Throws `DatasetCommitmentMismatchError` unless the manifest of the files on disk hashes to the commitment the
 * owner enrolled (comparison ignores hex case).
 */
export function verifyDatasetCommitment(manifest: DatasetManifest, enrolled: string): void {
  const actual = manifestCommitment(manifest);
  if (actual.toLowerCase() !== enrolled.toLowerCase()) {
    throw new DatasetCommitmentMismatchError(enrolled, actual, {
      format: manifest.format,
      recordCount: manifest.recordCount,
      shards: manifest.shards.map((shard) => `${shard.name} ${shard.sha256}`),
    });
  }
}
