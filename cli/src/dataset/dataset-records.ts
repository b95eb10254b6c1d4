import { decodeRevert } from "@tributary/contracts/revert-decoder";
import type { DatasetRegistry, DatasetRegistryTypes } from "@tributary/contracts/typed";
import {
  type Address,
  AddressSchema,
  type Bytes32,
  Bytes32Schema,
  fromFixed18,
  parseChainEvent,
  parseInput,
} from "@tributary/protocol";
import type { Result } from "ethers";
import { z } from "zod";
import { RefusedError } from "../chain/run-command.js";

/** A dataset as DatasetRegistry stores it, parsed (chain reads are a boundary), ε and δ as numbers too. */
export interface DatasetRecord {
  readonly id: string;
  readonly owner: Address;
  readonly active: boolean;
  readonly commitment: Bytes32;
  readonly metadataURI: string;
  /** In the job's payment token's smallest unit. */
  readonly pricePerRound: bigint;
  readonly epsilon: number;
  readonly delta: number;
  /** ε and δ as stored: fixed point scaled by 1e18. */
  readonly epsilonFixed: bigint;
  readonly deltaFixed: bigint;
}

/** The chain knows no dataset with this id (the command refuses: exit 1). */
export class DatasetUnknownError extends RefusedError {
  constructor(id: string, registry: string) {
    super("DATASET_UNKNOWN", `DatasetRegistry at ${registry} knows no dataset ${id}`, { id, registry });
  }
}

/** The key is not the dataset's owner: the change is refused before any gas is spent. */
export class NotDatasetOwnerError extends RefusedError {
  constructor(id: string, owner: string, caller: string) {
    super("NOT_DATASET_OWNER", `dataset ${id} is owned by ${owner}, not by this key's ${caller}`, {
      id,
      owner,
      caller,
    });
  }
}

/** The dataset was deactivated (for good): it cannot be updated or deactivated again. */
export class DatasetInactiveError extends RefusedError {
  constructor(id: string) {
    super("DATASET_INACTIVE", `dataset ${id} is deactivated: it can no longer be changed or join jobs`, { id });
  }
}

const uint = z.coerce.bigint().nonnegative();
const StoredDatasetSchema = z.object({
  owner: AddressSchema,
  active: z.boolean(),
  epsilon: uint,
  delta: uint,
  commitment: Bytes32Schema,
  pricePerRound: uint,
  metadataURI: z.string(),
});

/** A queried event's arguments by name (typed events hide that ethers' `args` is a `Result`), for its schema. */
export function eventArgs(log: { readonly args: unknown }): Record<string, unknown> {
  return (log.args as Result).toObject();
}

function record(id: string, stored: DatasetRegistryTypes.IDatasetRegistry.DatasetStructOutput): DatasetRecord {
  const parsed = parseInput(
    StoredDatasetSchema,
    {
      owner: stored.owner,
      active: stored.active,
      epsilon: stored.epsilon,
      delta: stored.delta,
      commitment: stored.commitment,
      pricePerRound: stored.pricePerRound,
      metadataURI: stored.metadataURI,
    },
    `DatasetRegistry.getDataset(${id})`,
  );
  return {
    id,
    owner: parsed.owner,
    active: parsed.active,
    commitment: parsed.commitment,
    metadataURI: parsed.metadataURI,
    pricePerRound: parsed.pricePerRound,
    epsilon: fromFixed18(parsed.epsilon),
    delta: fromFixed18(parsed.delta),
    epsilonFixed: parsed.epsilon,
    deltaFixed: parsed.delta,
  };
}

/** Reads dataset `id`, or throws `DatasetUnknownError`. */
export async function readDataset(registry: DatasetRegistry, id: string): Promise<DatasetRecord> {
  try {
    return record(id, await registry.getDataset(BigInt(id)));
  } catch (error) {
    if (decodeRevert(error)?.name === "DatasetRegistryUnknownDataset") {
      throw new DatasetUnknownError(id, await registry.getAddress());
    }
    throw error;
  }
}

/**
 * Reads dataset `id` for a change by `caller`: throws `DatasetUnknownError`, `NotDatasetOwnerError`, or (unless
 * `allowInactive`: a transfer) `DatasetInactiveError`, exactly the checks the contract makes, before any gas is spent.
 */
export async function ownedDataset(
  registry: DatasetRegistry,
  id: string,
  caller: string,
  options: { allowInactive?: boolean } = {},
): Promise<DatasetRecord> {
  const dataset = await readDataset(registry, id);
  if (dataset.owner !== caller.toLowerCase()) throw new NotDatasetOwnerError(id, dataset.owner, caller.toLowerCase());
  if (!dataset.active && options.allowInactive !== true) throw new DatasetInactiveError(id);
  return dataset;
}

/** Every dataset, ids 1…datasetCount (at most `limit`, newest first). */
export async function listDatasets(registry: DatasetRegistry, limit: number): Promise<DatasetRecord[]> {
  const count = Number(await registry.datasetCount());
  const ids = Array.from({ length: Math.min(limit, count) }, (_, i) => String(count - i));
  return Promise.all(ids.map((id) => readDataset(registry, id)));
}

/**
 * The ids of every dataset `owner` ever held from `fromBlock` on: registered by it or transferred to it (the ones
 * it still owns and the ones it gave away, whose past jobs may still owe it a payout), in id order.
 */
export async function datasetsEverOwned(
  registry: DatasetRegistry,
  owner: string,
  fromBlock: number,
): Promise<string[]> {
  const registered = await registry.queryFilter(registry.filters.DatasetRegistered(undefined, owner), fromBlock);
  const received = await registry.queryFilter(
    registry.filters.DatasetTransferred(undefined, undefined, owner),
    fromBlock,
  );
  const ids = new Set([
    ...registered.map((log) => parseChainEvent("DatasetRegistered", eventArgs(log)).args.datasetId),
    ...received.map((log) => parseChainEvent("DatasetTransferred", eventArgs(log)).args.datasetId),
  ]);
  return [...ids].sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : 1));
}

/** `owner`'s datasets as they stand now (those it owns today), newest first. */
export async function datasetsOwnedBy(
  registry: DatasetRegistry,
  owner: string,
  fromBlock: number,
): Promise<DatasetRecord[]> {
  const ids = await datasetsEverOwned(registry, owner, fromBlock);
  const datasets = await Promise.all(ids.map((id) => readDataset(registry, id)));
  return datasets.filter((dataset) => dataset.owner === owner.toLowerCase()).reverse();
}
