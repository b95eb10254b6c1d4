import { Column, Entity, PrimaryColumn } from "typeorm";

/**
 * A dataset enrolled on DatasetRegistry, as its confirmed events describe it (`DatasetRegistered`, then
 * `DatasetUpdated`, `DatasetDeactivated`, `DatasetTransferred`). uint256 values are decimal strings; privacy
 * budgets are scaled by 1e18 as on chain.
 */
@Entity({ name: "chain_datasets" })
export class ChainDatasetEntity {
  @PrimaryColumn({ type: "numeric", name: "dataset_id" })
  datasetId!: string;

  /** Lower-case 0x address. */
  @Column({ type: "text" })
  owner!: string;

  /** Hash of the dataset manifest, 0x-hex. */
  @Column({ type: "text" })
  commitment!: string;

  @Column({ type: "text", name: "metadata_uri" })
  metadataUri!: string;

  @Column({ type: "numeric", name: "price_per_round" })
  pricePerRound!: string;

  @Column({ type: "numeric" })
  epsilon!: string;

  @Column({ type: "numeric" })
  delta!: string;

  @Column({ type: "boolean" })
  active!: boolean;

  @Column({ type: "bigint", name: "registered_block" })
  registeredBlock!: string;

  @Column({ type: "text", name: "registered_tx" })
  registeredTx!: string;

  /** Position of the last event applied to this row: an event at or before it is a replay and is skipped. */
  @Column({ type: "bigint", name: "last_block" })
  lastBlock!: string;

  @Column({ type: "integer", name: "last_log_index" })
  lastLogIndex!: number;
}
