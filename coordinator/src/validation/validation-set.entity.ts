import { Column, Entity, PrimaryColumn } from "typeorm";

/** Who uploaded a validation set (by CID); the bytes are in the blob store. */
@Entity({ name: "validation_sets" })
export class ValidationSetEntity {
  @PrimaryColumn({ type: "text" })
  cid!: string;

  @PrimaryColumn({ type: "text" })
  uploader!: string;

  @Column({ type: "timestamptz", name: "uploaded_at" })
  uploadedAt!: Date;
}
