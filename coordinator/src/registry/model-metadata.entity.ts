import { Column, Entity, PrimaryColumn } from "typeorm";

/**
 * A model metadata document published here (`POST /jobs/:id/model-metadata`): its CID (the bytes are in the blob
 * store), the job and weights it describes, and who published it. Only CIDs recorded here are served publicly.
 */
@Entity({ name: "model_metadata" })
export class ModelMetadataEntity {
  @PrimaryColumn({ type: "text" })
  cid!: string;

  @Column({ type: "numeric", name: "job_id" })
  jobId!: string;

  @Column({ type: "text", name: "model_hash" })
  modelHash!: string;

  @Column({ type: "text" })
  publisher!: string;

  @Column({ type: "timestamptz", name: "published_at" })
  publishedAt!: Date;
}
