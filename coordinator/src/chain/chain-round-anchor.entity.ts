import { Column, Entity, PrimaryColumn } from "typeorm";

/** A confirmed `RoundAnchored` event: what the chain says round `round` of job `jobId` produced. */
@Entity({ name: "chain_round_anchors" })
export class ChainRoundAnchorEntity {
  @PrimaryColumn({ type: "numeric", name: "job_id" })
  jobId!: string;

  @PrimaryColumn({ type: "integer" })
  round!: number;

  @Column({ type: "text", name: "updates_root" })
  updatesRoot!: string;

  @Column({ type: "text", name: "model_hash" })
  modelHash!: string;

  @Column({ type: "bigint", name: "block_number" })
  blockNumber!: string;

  @Column({ type: "text", name: "tx_hash" })
  txHash!: string;
}
