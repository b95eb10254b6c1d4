import type { DatasetRegistry } from "@tributary/contracts/typed";
import { type Address, type Bytes32, parseChainEvent, TributaryError, toFixed18 } from "@tributary/protocol";
import type { ContractTransactionResponse, TransactionReceipt } from "ethers";
import { type DatasetRecord, ownedDataset } from "./dataset-records.js";

/** What an owner states about its dataset on DatasetRegistry besides the commitment. */
export interface DatasetTerms {
  readonly metadataURI: string;
  /** In the payment token's smallest unit. */
  readonly pricePerRound: bigint;
  readonly epsilon: number;
  readonly delta: number;
}

/** A DatasetRegistry call checked against the chain and ready to send: what it does, and how to send it. */
export interface PlannedCall {
  /** For people: `deactivate dataset 3 for good`. */
  readonly description: string;
  /** The contract call: `DatasetRegistry.deactivateDataset`. */
  readonly call: string;
  /** Sends it from the registry's signer (ethers estimates gas first: a call that would revert throws, unsent). */
  readonly send: () => Promise<ContractTransactionResponse>;
}

/** The new owner of a transfer is zero or the caller itself (the contract's `DatasetRegistryInvalidNewOwner`). */
export class InvalidNewOwnerError extends TributaryError {
  constructor(newOwner: string) {
    super("INVALID_INPUT", `cannot transfer a dataset to ${newOwner}: it must be another, non-zero address`, {
      details: { newOwner },
    });
  }
}

/** An update that changes nothing. */
export class NothingToUpdateError extends TributaryError {
  constructor(id: string) {
    super(
      "INVALID_INPUT",
      `the update leaves dataset ${id} as it is: give a new manifest, metadata URI, price, ε or δ`,
      {
        details: { id },
      },
    );
  }
}

/**
 * `registerDataset(commitment, terms)` from the registry's signer. Anyone may enrol: nothing to check on chain
 * beyond the arguments, which the contract checks as the caller's options schema does.
 */
export function planEnrol(registry: DatasetRegistry, commitment: Bytes32, terms: DatasetTerms): PlannedCall {
  return {
    description: `enrol a dataset with commitment ${commitment}`,
    call: "DatasetRegistry.registerDataset",
    send: () =>
      registry.registerDataset(
        commitment,
        terms.metadataURI,
        terms.pricePerRound,
        toFixed18(terms.epsilon),
        toFixed18(terms.delta),
      ),
  };
}

/** The id of the dataset that `receipt`'s transaction enrolled (its `DatasetRegistered` event). */
export function enrolledDatasetId(registry: DatasetRegistry, receipt: TransactionReceipt): string {
  const fragment = registry.filters.DatasetRegistered.fragment;
  for (const log of receipt.logs) {
    if (log.topics[0] !== fragment.topicHash) continue;
    const args = registry.interface.decodeEventLog(fragment, log.data, log.topics).toObject();
    return parseChainEvent("DatasetRegistered", args).args.datasetId;
  }
  throw new TributaryError(
    "CHAIN_ERROR",
    `transaction ${receipt.hash} enrolled no dataset (no DatasetRegistered event)`,
  );
}

/**
 * `updateDataset` of dataset `id` by `caller`: the fields given replace the stored ones, the rest stay. Refused
 * before sending when the dataset is unknown, not the caller's, deactivated, or would not change.
 */
export async function planUpdate(
  registry: DatasetRegistry,
  caller: Address,
  id: string,
  changes: { readonly [K in keyof DatasetTerms]?: DatasetTerms[K] | undefined } & {
    readonly commitment?: Bytes32 | undefined;
  },
): Promise<PlannedCall & { before: DatasetRecord }> {
  const before = await ownedDataset(registry, id, caller);
  const commitment = changes.commitment ?? before.commitment;
  const metadataURI = changes.metadataURI ?? before.metadataURI;
  const pricePerRound = changes.pricePerRound ?? before.pricePerRound;
  const epsilon = changes.epsilon === undefined ? before.epsilonFixed : toFixed18(changes.epsilon);
  const delta = changes.delta === undefined ? before.deltaFixed : toFixed18(changes.delta);
  if (
    commitment === before.commitment &&
    metadataURI === before.metadataURI &&
    pricePerRound === before.pricePerRound &&
    epsilon === before.epsilonFixed &&
    delta === before.deltaFixed
  ) {
    throw new NothingToUpdateError(id);
  }
  return {
    description: `update dataset ${id}`,
    call: "DatasetRegistry.updateDataset",
    send: () => registry.updateDataset(BigInt(id), commitment, metadataURI, pricePerRound, epsilon, delta),
    before,
  };
}

/** `deactivateDataset(id)` by `caller`, for good; refused before sending as `planUpdate` is. */
export async function planDeactivate(registry: DatasetRegistry, caller: Address, id: string): Promise<PlannedCall> {
  await ownedDataset(registry, id, caller);
  return {
    description: `deactivate dataset ${id} for good`,
    call: "DatasetRegistry.deactivateDataset",
    send: () => registry.deactivateDataset(BigInt(id)),
  };
}

/** `transferDataset(id, newOwner)` by `caller` (a deactivated dataset may be transferred too). */
export async function planTransfer(
  registry: DatasetRegistry,
  caller: Address,
  id: string,
  newOwner: Address,
): Promise<PlannedCall> {
  await ownedDataset(registry, id, caller, { allowInactive: true });
  if (/^0x0{40}$/.test(newOwner) || newOwner === caller.toLowerCase()) throw new InvalidNewOwnerError(newOwner);
  return {
    description: `transfer dataset ${id} to ${newOwner}`,
    call: "DatasetRegistry.transferDataset",
    send: () => registry.transferDataset(BigInt(id), newOwner),
  };
}
