import { z } from "zod";
import { AddressSchema, Bytes32Schema } from "./ids.js";

/**
 * The Ocean Protocol DDO (v4.1.0) of a Tributary dataset published as an Ocean data NFT: the subset of Ocean's DDO
 * fields this project writes and reads, plus what binds the asset to its dataset on DatasetRegistry (under
 * `metadata.additionalInformation.tributary`). It is published on chain in plain JSON through the data NFT's
 * `setMetaData` (flags `0x00`: neither compressed nor encrypted, since no Ocean Provider runs to encrypt it), with
 * `metaDataHash` = SHA-256 of its bytes, exactly as Ocean's indexer (Aquarius / Ocean Node) reads an unencrypted DDO.
 * Ocean's schema: https://docs.oceanprotocol.com/developers/ddo-specification.
 */
export const OCEAN_DDO_VERSION = "4.1.0";

/** The Ocean service type of a Tributary dataset: compute-to-data (the records never leave the owner). */
export const OCEAN_COMPUTE_SERVICE = "compute";

/** What ties an Ocean asset to the dataset it publishes. */
export const TributaryBindingSchema = z.strictObject({
  /** DatasetRegistry of the Tributary deployment, on the DDO's chain. */
  datasetRegistry: AddressSchema,
  /** The dataset's id on that registry (decimal). */
  datasetId: z.string().regex(/^[0-9]+$/, "must be a decimal dataset id"),
  /** The dataset's manifest commitment on DatasetRegistry. */
  commitment: Bytes32Schema,
});
export type TributaryBinding = z.infer<typeof TributaryBindingSchema>;

/** Ocean's compute options of a service; Tributary runs only its own training step, never a raw algorithm. */
const ComputeOptionsSchema = z.object({
  allowRawAlgorithm: z.boolean(),
  allowNetworkAccess: z.boolean(),
  publisherTrustedAlgorithmPublishers: z.array(z.string()),
  publisherTrustedAlgorithms: z.array(z.unknown()),
});

export const OceanServiceSchema = z.object({
  id: z.string().min(1),
  type: z.string().min(1),
  name: z.string().optional(),
  description: z.string().optional(),
  /** Ocean encrypts the file list through its Provider; a Tributary dataset serves no files (empty). */
  files: z.string(),
  datatokenAddress: AddressSchema,
  /** Where compute jobs on this dataset are submitted: the coordinator the owner's trainer agent serves through. */
  serviceEndpoint: z.url(),
  /** Seconds an order grants access after it is started; 0: no expiry (Ocean's convention). */
  timeout: z.number().int().nonnegative(),
  compute: ComputeOptionsSchema.optional(),
});
export type OceanService = z.infer<typeof OceanServiceSchema>;

export const OceanDdoSchema = z.object({
  "@context": z.array(z.string()),
  /** `did:op:` + SHA-256 hex of the data NFT's checksummed address followed by the chain id in decimal. */
  id: z.string().regex(/^did:op:[0-9a-f]{64}$/, "must be did:op: and 64 lower-case hex digits"),
  version: z.string(),
  chainId: z.number().int().positive(),
  nftAddress: AddressSchema,
  metadata: z.object({
    created: z.iso.datetime(),
    updated: z.iso.datetime(),
    type: z.literal("dataset"),
    name: z.string().min(1),
    description: z.string(),
    author: z.string(),
    license: z.string(),
    tags: z.array(z.string()).optional(),
    additionalInformation: z.object({ tributary: TributaryBindingSchema }),
  }),
  services: z.array(OceanServiceSchema).min(1),
});
export type OceanDdo = z.infer<typeof OceanDdoSchema>;
