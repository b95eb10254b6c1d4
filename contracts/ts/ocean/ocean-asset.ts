import { createHash } from "node:crypto";
import { type OceanDdo, OceanDdoSchema, type OceanService } from "@tributary/protocol";
import { Contract, getAddress, Interface, type Provider, toUtf8String } from "ethers";
import { oceanArtifact } from "./ocean-artifacts.js";

/** An Ocean asset's metadata states (ERC721Template `metaDataState`) under which its orders grant access. */
const ORDERABLE_STATES: ReadonlyMap<number, string> = new Map([
  [0, "active"],
  [5, "unlisted"],
]);
const STATE_NAMES = [
  "active",
  "end-of-life",
  "deprecated",
  "revoked by its publisher",
  "ordering disabled",
  "unlisted",
];

/** Plain DDO bytes: Ocean's `flags` byte with neither the LZMA-compressed (bit 0) nor the encrypted (bit 1) bit. */
const PLAIN_FLAGS = "0x00";

/** A data NFT's published DDO and the state of its metadata, as read from the chain. */
export interface OceanAsset {
  readonly nft: string;
  readonly did: string;
  readonly ddo: OceanDdo;
  /** `metaDataState` (0 active, 1 end-of-life, 2 deprecated, 3 revoked, 4 ordering disabled, 5 unlisted). */
  readonly state: number;
  /** Why the asset's orders grant no access now (its state), or undefined when they do. */
  readonly closed: string | undefined;
}

/** The Ocean DID of a data NFT: `did:op:` + SHA-256 (hex) of its checksummed address followed by the chain id. */
export function oceanDid(nft: string, chainId: number): string {
  return `did:op:${createHash("sha256")
    .update(`${getAddress(nft)}${chainId}`)
    .digest("hex")}`;
}

/**
 * Reads the DDO a data NFT published last (its latest `MetadataCreated` or `MetadataUpdated` event since
 * `fromBlock`) and its current metadata state. The DDO must be plain (flags `0x00`), hash to the event's
 * `metaDataHash` (SHA-256), parse as an `OceanDdo` and name this NFT, this chain and the NFT's DID. Throws an
 * `Error` saying which check failed; an NFT without metadata is an error too.
 */
export async function readOceanAsset(provider: Provider, nft: string, fromBlock: number): Promise<OceanAsset> {
  const nftInterface = new Interface(oceanArtifact("ERC721Template").abi);
  const created = nftInterface.getEvent("MetadataCreated");
  const updated = nftInterface.getEvent("MetadataUpdated");
  if (created === null || updated === null) throw new Error("ERC721Template's ABI has no metadata events");
  const logs = await provider.getLogs({ address: nft, topics: [[created.topicHash, updated.topicHash]], fromBlock });
  const last = logs.at(-1);
  if (last === undefined) throw new Error(`data NFT ${nft} has published no metadata (no MetadataCreated event)`);
  const event = nftInterface.parseLog({ topics: [...last.topics], data: last.data });
  if (event === null) throw new Error(`data NFT ${nft}: its metadata event does not decode`);
  const flags = String(event.args.getValue("flags")).toLowerCase();
  if (flags !== PLAIN_FLAGS) {
    throw new Error(
      `data NFT ${nft}: its DDO is published with flags ${flags} (compressed or encrypted through an Ocean Provider); only plain DDOs (flags 0x00) are read`,
    );
  }
  const bytes = Buffer.from(String(event.args.getValue("data")).slice(2), "hex");
  const hash = `0x${createHash("sha256").update(bytes).digest("hex")}`;
  const declared = String(event.args.getValue("metaDataHash")).toLowerCase();
  if (hash !== declared) throw new Error(`data NFT ${nft}: its DDO hashes to ${hash}, the event declares ${declared}`);
  let json: unknown;
  try {
    json = JSON.parse(toUtf8String(bytes));
  } catch {
    throw new Error(`data NFT ${nft}: its DDO is not JSON`);
  }
  const parsed = OceanDdoSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`data NFT ${nft}: its DDO is not an Ocean DDO: ${issue?.path.join(".")}: ${issue?.message}`);
  }
  const ddo = parsed.data;
  const { chainId } = await provider.getNetwork();
  const did = oceanDid(nft, Number(chainId));
  if (ddo.nftAddress !== nft.toLowerCase() || ddo.chainId !== Number(chainId) || ddo.id !== did) {
    throw new Error(
      `data NFT ${nft}: its DDO describes ${ddo.id} (NFT ${ddo.nftAddress}, chain ${ddo.chainId}), not ${did} on chain ${chainId}`,
    );
  }
  const contract = new Contract(nft, nftInterface, provider);
  const metadata = (await contract.getFunction("getMetaData")()) as readonly [string, string, bigint, boolean];
  const state = Number(metadata[2]);
  const closed = ORDERABLE_STATES.has(state)
    ? undefined
    : `asset ${did} is ${STATE_NAMES[state] ?? `in metadata state ${state}`}: its orders grant no access`;
  return { nft: nft.toLowerCase(), did, ddo, state, closed };
}

/** The DDO's compute service sold by `datatoken`, with its index in `services` (the order's `serviceIndex`). */
export function computeService(
  ddo: OceanDdo,
  datatoken: string,
): { readonly service: OceanService; readonly index: number } | undefined {
  const index = ddo.services.findIndex(
    (service) => service.type === "compute" && service.datatokenAddress === datatoken.toLowerCase(),
  );
  const service = ddo.services[index];
  return service === undefined ? undefined : { service, index };
}
