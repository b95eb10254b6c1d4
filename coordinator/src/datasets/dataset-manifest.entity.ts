import type { DatasetManifest } from "@tributary/protocol";
import { Column, Entity, PrimaryColumn } from "typeorm";
import { BIGINT_COUNT } from "../database/bigint-count.js";

/**
 * A dataset's manifest (schema, record count, shard hashes; never the records) as its trainer uploaded it, after
 * it hashed to the dataset's commitment. Its record count caps the examples the dataset's updates may claim.
 */
@Entity({ name: "dataset_manifests" })
export class DatasetManifestEntity {
  @PrimaryColumn({ type: "bigint", name: "dataset_id" })
  datasetId!: string;

  /** `manifestCommitment(manifest)`, 0x-hex: the dataset's commitment when the manifest was accepted. */
  @Column({ type: "text" })
  commitment!: string;

  @Column({ type: "bigint", name: "record_count", transformer: BIGINT_COUNT })
  recordCount!: number;

  @Column({ type: "jsonb" })
  manifest!: DatasetManifest;

  @Column({ type: "timestamptz", name: "received_at" })
  receivedAt!: Date;
}
