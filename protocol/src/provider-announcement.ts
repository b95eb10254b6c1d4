import { type TypedDataField, verifyTypedData } from "ethers";
import { z } from "zod";
import type { TypedDataSigner } from "./eip712.js";
import { type Address, AddressSchema, Uint256Schema } from "./ids.js";
import { type RegistryDeployment, receiptDomain } from "./inference-receipt.js";
import { recoverOrThrow, SignatureSchema } from "./signature.js";

/**
 * `ProviderAnnouncement(uint256 modelId,address provider,string endpoint,uint256 pricePerExample,uint64 issuedAt,
 * uint64 expiresAt)`: a provider tells a router that it serves model `modelId` at `endpoint` for `pricePerExample`,
 * from `issuedAt` until `expiresAt` (unix seconds). Signed under the domain of the deployment's `ModelRegistry`
 * (name Tributary, version 1, the chain id, ModelRegistry's address), so an announcement is worthless on another
 * chain or registry, and worthless after it expires.
 */
export const PROVIDER_ANNOUNCEMENT_TYPES: Record<string, TypedDataField[]> = {
  ProviderAnnouncement: [
    { name: "modelId", type: "uint256" },
    { name: "provider", type: "address" },
    { name: "endpoint", type: "string" },
    { name: "pricePerExample", type: "uint256" },
    { name: "issuedAt", type: "uint64" },
    { name: "expiresAt", type: "uint64" },
  ],
};

export interface ProviderAnnouncement {
  readonly modelId: bigint;
  /** The provider's address, lower case: the key that signs its receipts and that channels pay. */
  readonly provider: Address;
  /** The provider's base URL (`http://host:port`), where `/v1/model`, `/v1/predict` and `/ready` are. */
  readonly endpoint: string;
  /** Base units of the model's payment token per example. */
  readonly pricePerExample: bigint;
  readonly issuedAt: bigint;
  readonly expiresAt: bigint;
}

export interface SignedProviderAnnouncement extends ProviderAnnouncement {
  readonly signature: string;
}

const UINT64_MAX = (1n << 64n) - 1n;
const Uint64Schema = Uint256Schema.refine((value) => BigInt(value) <= UINT64_MAX, "must fit in a uint64");

/** An endpoint: an http(s) URL without credentials, query or fragment, at most 512 characters. */
const EndpointSchema = z
  .string()
  .max(512)
  .superRefine((value, ctx) => {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      ctx.addIssue({ code: "custom", message: "must be an absolute http(s) URL" });
      return;
    }
    if (url.protocol !== "http:" && url.protocol !== "https:")
      ctx.addIssue({ code: "custom", message: "must be http or https" });
    if (url.username !== "" || url.password !== "" || url.search !== "" || url.hash !== "")
      ctx.addIssue({ code: "custom", message: "must have no credentials, query or fragment" });
  })
  .transform((value) => value.replace(/\/+$/, ""));

/** A signed announcement as it travels in JSON (integers as decimal strings). */
export const SignedProviderAnnouncementSchema = z
  .strictObject({
    modelId: Uint256Schema,
    provider: AddressSchema,
    endpoint: EndpointSchema,
    pricePerExample: Uint256Schema,
    issuedAt: Uint64Schema,
    expiresAt: Uint64Schema,
    signature: SignatureSchema,
  })
  .transform(
    (wire): SignedProviderAnnouncement => ({
      modelId: BigInt(wire.modelId),
      provider: wire.provider,
      endpoint: wire.endpoint,
      pricePerExample: BigInt(wire.pricePerExample),
      issuedAt: BigInt(wire.issuedAt),
      expiresAt: BigInt(wire.expiresAt),
      signature: wire.signature,
    }),
  );
export type SignedProviderAnnouncementWire = z.input<typeof SignedProviderAnnouncementSchema>;

function announcementValue(announcement: ProviderAnnouncement): Record<string, unknown> {
  const { modelId, provider, endpoint, pricePerExample, issuedAt, expiresAt } = announcement;
  return { modelId, provider, endpoint, pricePerExample, issuedAt, expiresAt };
}

export async function signAnnouncement(
  signer: TypedDataSigner,
  deployment: RegistryDeployment,
  announcement: ProviderAnnouncement,
): Promise<SignedProviderAnnouncement> {
  const value = announcementValue(announcement);
  const signature = await signer.signTypedData(receiptDomain(deployment), PROVIDER_ANNOUNCEMENT_TYPES, value);
  return { ...announcement, signature };
}

/** The address (lower case) that signed the announcement under `deployment`'s domain. */
export function recoverAnnouncementSigner(
  deployment: RegistryDeployment,
  announcement: SignedProviderAnnouncement,
  path = "announcement.signature",
): Address {
  const value = announcementValue(announcement);
  return recoverOrThrow(path, announcement.signature, () =>
    verifyTypedData(receiptDomain(deployment), PROVIDER_ANNOUNCEMENT_TYPES, value, announcement.signature),
  );
}

export function announcementToWire(announcement: SignedProviderAnnouncement): SignedProviderAnnouncementWire {
  return {
    modelId: announcement.modelId.toString(),
    provider: announcement.provider,
    endpoint: announcement.endpoint,
    pricePerExample: announcement.pricePerExample.toString(),
    issuedAt: announcement.issuedAt.toString(),
    expiresAt: announcement.expiresAt.toString(),
    signature: announcement.signature,
  };
}
