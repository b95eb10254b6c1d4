import { Datatoken, generateDid, Nft, NftFactory } from "@oceanprotocol/lib";
import {
  findOceanDataset,
  type OceanAddresses,
  type OceanDataset,
  oceanArtifact,
  oceanDatasetKey,
} from "@tributary/contracts/ocean";
import type { DatasetRegistry } from "@tributary/contracts/typed";
import { type Address, type Bytes32, OCEAN_DDO_VERSION, type OceanDdo, TributaryError } from "@tributary/protocol";
import { hexlify, Interface, type Provider, parseEther, type Signer, sha256, toUtf8Bytes, ZeroAddress } from "ethers";
import type { Output } from "../chain/output.js";
import { RefusedError } from "../chain/run-command.js";
import { type MinedTransaction, sendAndWait } from "../chain/transactions.js";
import { OCEAN_NETWORK, oceanLibConfig } from "./ocean-lib-config.js";

/** Datatokens the owner may ever mint for one dataset (each order spends one). */
const DATATOKEN_CAP = "1000000";

export interface PublishOnOceanInput {
  /** The dataset's owner on DatasetRegistry, connected to the chain. */
  readonly wallet: Signer;
  readonly registry: DatasetRegistry;
  readonly ocean: OceanAddresses;
  readonly datasetId: string;
  /** Where compute jobs on the dataset are submitted: the coordinator the owner's trainer agent serves through. */
  readonly serviceEndpoint: string;
  /** Seconds an order grants access (0: no expiry). */
  readonly timeout: number;
  /** Shown in the DDO; default `Tributary dataset <id>`. */
  readonly name?: string | undefined;
  readonly description?: string | undefined;
}

export interface PublishedOnOcean {
  readonly dataset: OceanDataset;
  /** False when the dataset was already published (nothing sent). */
  readonly published: boolean;
  readonly transactions: readonly MinedTransaction[];
}

/**
 * The data owner publishes an enrolled dataset on Ocean Protocol with `@oceanprotocol/lib`, against Ocean's
 * contracts on the dataset's chain: a data NFT with its datatoken (`NftFactory.createNftWithDatatoken`, template 1,
 * not transferable), its DDO with one compute service sold by that datatoken (`Nft.setMetadata`, plain JSON: flags
 * 0x00 and SHA-256 hash, since no Ocean Provider runs to encrypt it), a dispenser that gives any researcher one
 * datatoken at a time for free (`Datatoken.createDispenser`: the dataset's price is paid per round on TrainingJobs),
 * and last the binding readers look for (`Nft.setData` under `oceanDatasetKey`: the datatoken's address). Refuses a
 * dataset the wallet does not own; a dataset already published is returned as it is.
 */
export async function publishOnOcean(out: Output, input: PublishOnOceanInput): Promise<PublishedOnOcean> {
  const { wallet, registry, ocean, datasetId } = input;
  const provider = wallet.provider;
  if (provider === null) throw new TributaryError("INVALID_INPUT", "the owner's wallet is not connected to a chain");
  const registryAddress = (await registry.getAddress()).toLowerCase() as Address;
  const registered = await registry.getDataset(BigInt(datasetId));
  const owner = await wallet.getAddress();
  if (registered.owner.toLowerCase() !== owner.toLowerCase()) {
    throw new RefusedError(
      "NOT_DATASET_OWNER",
      `dataset ${datasetId} is owned by ${registered.owner.toLowerCase()}, not by ${owner.toLowerCase()}: only its owner publishes it on Ocean`,
    );
  }
  const query = { provider, ocean, datasetRegistry: registryAddress, datasetId };
  const before = await findOceanDataset(query);
  if (before.kind === "published") {
    out.say(
      `dataset ${datasetId} is already on Ocean as ${before.dataset.did} (datatoken ${before.dataset.datatoken})`,
    );
    return { dataset: before.dataset, published: false, transactions: [] };
  }
  const config = oceanLibConfig(ocean);
  const name = input.name ?? `Tributary dataset ${datasetId}`;
  const transactions: MinedTransaction[] = [];
  const created = await sendAndWait(out, {
    description: `create the data NFT and datatoken of dataset ${datasetId}`,
    call: "ERC721Factory.createNftWithErc20",
    send: () =>
      new NftFactory(ocean.ERC721Factory, wallet, ocean.chainId, config).createNftWithDatatoken(
        {
          name,
          symbol: `TRIB-DS-${datasetId}`,
          templateIndex: 1,
          tokenURI: registered.metadataURI,
          transferable: false,
          owner,
        },
        {
          templateIndex: 1,
          minter: owner,
          paymentCollector: owner,
          mpFeeAddress: ZeroAddress,
          feeToken: ZeroAddress,
          feeAmount: "0",
          cap: DATATOKEN_CAP,
          name: `${name}: compute access`,
          symbol: `TRIB-DT-${datasetId}`,
        },
      ),
  });
  transactions.push(created);
  const { nft, datatoken } = await createdTokens(provider, created.hash);
  const ddo = datasetDdo({
    nft,
    datatoken,
    chainId: ocean.chainId,
    name,
    description:
      input.description ?? `Tributary dataset ${datasetId}: federated training at its owner's, records never leave`,
    author: owner.toLowerCase(),
    binding: {
      datasetRegistry: registryAddress,
      datasetId,
      commitment: registered.commitment.toLowerCase() as Bytes32,
    },
    serviceEndpoint: input.serviceEndpoint,
    timeout: input.timeout,
  });
  const bytes = toUtf8Bytes(JSON.stringify(ddo));
  const lib = { nft: new Nft(wallet, OCEAN_NETWORK, config), datatoken: new Datatoken(wallet, OCEAN_NETWORK, config) };
  transactions.push(
    await sendAndWait(out, {
      description: `publish the DDO of ${ddo.id} (plain, SHA-256 ${sha256(bytes)})`,
      call: "ERC721Template.setMetaData",
      send: () => lib.nft.setMetadata(nft, owner, 0, "", "", "0x00", hexlify(bytes), sha256(bytes)),
    }),
  );
  transactions.push(
    await sendAndWait(out, {
      description: `open a dispenser of datatoken ${datatoken} (one free datatoken per researcher at a time)`,
      call: "ERC20Template.createDispenser",
      send: () =>
        lib.datatoken.createDispenser(datatoken, owner, ocean.Dispenser, {
          maxTokens: parseEther("1").toString(),
          maxBalance: parseEther("1").toString(),
          withMint: true,
        }),
    }),
  );
  transactions.push(
    await sendAndWait(out, {
      description: `bind dataset ${datasetId} to datatoken ${datatoken} in the data NFT's store`,
      call: "ERC721Template.setNewData",
      send: () => lib.nft.setData(nft, owner, oceanDatasetKey(registryAddress, datasetId), datatoken),
    }),
  );
  const after = await findOceanDataset(query);
  if (after.kind !== "published") {
    throw new TributaryError(
      "OCEAN_PUBLICATION_UNREADABLE",
      `dataset ${datasetId} was published as ${ddo.id} but does not read back: ${after.kind === "invalid" ? after.reason : "no binding found"}`,
    );
  }
  return { dataset: after.dataset, published: true, transactions };
}

/** The data NFT and datatoken `createNftWithErc20` created, from its receipt's factory events. */
async function createdTokens(provider: Provider, hash: string): Promise<{ nft: Address; datatoken: Address }> {
  const receipt = await provider.getTransactionReceipt(hash);
  const factory = new Interface(oceanArtifact("ERC721Factory").abi);
  let nft: Address | undefined;
  let datatoken: Address | undefined;
  for (const log of receipt?.logs ?? []) {
    const event = factory.parseLog({ topics: [...log.topics], data: log.data });
    if (event?.name === "NFTCreated") nft = String(event.args.getValue("newTokenAddress")).toLowerCase() as Address;
    if (event?.name === "TokenCreated")
      datatoken = String(event.args.getValue("newTokenAddress")).toLowerCase() as Address;
  }
  if (nft === undefined || datatoken === undefined) {
    throw new TributaryError("OCEAN_PUBLICATION_UNREADABLE", `transaction ${hash} created no data NFT and datatoken`);
  }
  return { nft, datatoken };
}

/** The Ocean DDO (v4.1.0) of a dataset: one compute service, no files (the records never leave). */
function datasetDdo(input: {
  nft: Address;
  datatoken: Address;
  chainId: number;
  name: string;
  description: string;
  author: string;
  binding: OceanDdo["metadata"]["additionalInformation"]["tributary"];
  serviceEndpoint: string;
  timeout: number;
}): OceanDdo {
  const now = new Date().toISOString().replace(/\.\d{3}Z$/, "Z");
  return {
    "@context": ["https://w3id.org/did/v1"],
    id: generateDid(input.nft, input.chainId),
    version: OCEAN_DDO_VERSION,
    chainId: input.chainId,
    nftAddress: input.nft,
    metadata: {
      created: now,
      updated: now,
      type: "dataset",
      name: input.name,
      description: input.description,
      author: input.author,
      license: "Tributary: federated training only; records never leave their owner",
      tags: ["tributary", "federated-learning", "compute-to-data"],
      additionalInformation: { tributary: input.binding },
    },
    services: [
      {
        id: `tributary-training-${input.binding.datasetId}`,
        type: "compute",
        name: "Tributary federated training",
        description: "DP-SGD training rounds run by the owner's trainer agent; only signed model updates leave",
        files: "",
        datatokenAddress: input.datatoken,
        serviceEndpoint: input.serviceEndpoint,
        timeout: input.timeout,
        compute: {
          allowRawAlgorithm: false,
          allowNetworkAccess: false,
          publisherTrustedAlgorithmPublishers: [],
          publisherTrustedAlgorithms: [],
        },
      },
    ],
  };
}
