import type { OceanService } from "@tributary/protocol";
import { Contract, hexlify, Interface, keccak256, type Provider, toUtf8Bytes, toUtf8String } from "ethers";
import { connectDatasetRegistry } from "../../typed/connect.js";
import type { OceanAddresses } from "./ocean-addresses.js";
import { oceanArtifact } from "./ocean-artifacts.js";
import { computeService, readOceanAsset } from "./ocean-asset.js";

/**
 * The key under which a data NFT's ERC725Y store names the datatoken that sells compute on a Tributary dataset,
 * in the form `@oceanprotocol/lib`'s `Nft.setData(nft, owner, key, value)` takes it (`key` bytes, stored at
 * `keccak256(key)`, which `DataChanged` indexes): the UTF-8 bytes of `tributary:dataset:<registry>:<id>`.
 */
export function oceanDatasetKey(datasetRegistry: string, datasetId: string | bigint): string {
  return hexlify(toUtf8Bytes(`tributary:dataset:${datasetRegistry.toLowerCase()}:${BigInt(datasetId)}`));
}

/** A Tributary dataset published on Ocean: its data NFT, the datatoken of its compute service and its DDO. */
export interface OceanDataset {
  readonly datasetId: string;
  readonly owner: string;
  readonly nft: string;
  readonly did: string;
  readonly datatoken: string;
  readonly service: OceanService;
  /** The service's index in the DDO: an order's `serviceIndex` must be it. */
  readonly serviceIndex: number;
  /** Why the asset's orders grant no access now (its metadata state), or undefined. */
  readonly closed: string | undefined;
}

/**
 * What Ocean says about a dataset: not published (no data NFT of its owner binds it), published, or published by
 * its owner in a way no order can be checked against (then every job on it is refused: the owner declared it sold
 * on Ocean).
 */
export type OceanDatasetLookup =
  | { readonly kind: "none" }
  | { readonly kind: "published"; readonly dataset: OceanDataset }
  | { readonly kind: "invalid"; readonly nft: string; readonly reason: string };

export interface OceanDatasetQuery {
  readonly provider: Provider;
  readonly ocean: OceanAddresses;
  readonly datasetRegistry: string;
  readonly datasetId: string | bigint;
}

/**
 * Finds the Ocean publication of a dataset on chain, trusting no one's word: among the `DataChanged` events for the
 * dataset's key (`oceanDatasetKey`) from any contract, the latest one emitted by a data NFT that Ocean's
 * ERC721Factory created and whose owner (`ownerOf(1)`) is the dataset's owner on DatasetRegistry counts; its
 * current value (the datatoken's address; empty: withdrawn) must name a datatoken the NFT deployed, and the NFT's
 * DDO (`readOceanAsset`) must bind this dataset with its current commitment and offer a compute service for that
 * datatoken. An unknown dataset is an error of the registry's.
 */
export async function findOceanDataset(query: OceanDatasetQuery): Promise<OceanDatasetLookup> {
  const { provider, ocean } = query;
  const datasetId = BigInt(query.datasetId);
  const registry = connectDatasetRegistry(query.datasetRegistry, provider);
  const registered = await registry.getDataset(datasetId);
  const owner = registered.owner.toLowerCase();
  const nftInterface = new Interface(oceanArtifact("ERC721Template").abi);
  const dataChanged = nftInterface.getEvent("DataChanged");
  if (dataChanged === null) throw new Error("ERC721Template's ABI has no DataChanged event");
  const storeKey = keccak256(oceanDatasetKey(query.datasetRegistry, datasetId));
  const logs = await provider.getLogs({ topics: [dataChanged.topicHash, storeKey], fromBlock: ocean.startBlock });
  const factory = new Contract(ocean.ERC721Factory, oceanArtifact("ERC721Factory").abi, provider);
  for (const log of [...logs].reverse()) {
    const nft = log.address.toLowerCase();
    const created = String(await factory.getFunction("erc721List")(nft)).toLowerCase();
    if (created !== nft) continue;
    const contract = new Contract(nft, nftInterface, provider);
    const nftOwner = String(await contract.getFunction("ownerOf")(1n)).toLowerCase();
    if (nftOwner !== owner) continue;
    const stored = String(await contract.getFunction("getData")(storeKey));
    const value = stored === "0x" ? "" : toUtf8String(stored).trim().toLowerCase();
    if (value === "") return { kind: "none" };
    return describe(query, { nft, owner, value, commitment: registered.commitment.toLowerCase(), contract });
  }
  return { kind: "none" };
}

async function describe(
  query: OceanDatasetQuery,
  found: { nft: string; owner: string; value: string; commitment: string; contract: Contract },
): Promise<OceanDatasetLookup> {
  const { nft, value } = found;
  const invalid = (reason: string): OceanDatasetLookup => ({ kind: "invalid", nft, reason });
  if (!/^0x[0-9a-f]{40}$/.test(value))
    return invalid(`data NFT ${nft} binds the dataset to "${value}", not an address`);
  if (!(await found.contract.getFunction("isDeployed")(value))) {
    return invalid(`data NFT ${nft} binds the dataset to ${value}, a datatoken it did not deploy`);
  }
  let asset: Awaited<ReturnType<typeof readOceanAsset>>;
  try {
    asset = await readOceanAsset(query.provider, nft, query.ocean.startBlock);
  } catch (error) {
    return invalid((error as Error).message);
  }
  const binding = asset.ddo.metadata.additionalInformation.tributary;
  const datasetId = String(BigInt(query.datasetId));
  if (binding.datasetRegistry !== query.datasetRegistry.toLowerCase() || binding.datasetId !== datasetId) {
    return invalid(`${asset.did} describes dataset ${binding.datasetId} of ${binding.datasetRegistry}`);
  }
  if (binding.commitment !== found.commitment) {
    return invalid(
      `${asset.did} publishes commitment ${binding.commitment}, dataset ${datasetId} commits to ${found.commitment} on DatasetRegistry`,
    );
  }
  const compute = computeService(asset.ddo, value);
  if (compute === undefined) return invalid(`${asset.did} has no compute service sold by datatoken ${value}`);
  return {
    kind: "published",
    dataset: {
      datasetId,
      owner: found.owner,
      nft,
      did: asset.did,
      datatoken: value,
      service: compute.service,
      serviceIndex: compute.index,
      closed: asset.closed,
    },
  };
}
