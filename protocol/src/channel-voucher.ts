import { TypedDataEncoder, type TypedDataField, verifyTypedData } from "ethers";
import { z } from "zod";
import { type TypedDataSigner, tributaryDomain } from "./eip712.js";
import { type Address, AddressSchema, Uint256Schema } from "./ids.js";
import { recoverOrThrow, SignatureSchema } from "./signature.js";

/** `Voucher(uint256 channelId,uint256 amount)`: `PaymentChannels.VOUCHER_TYPEHASH`. */
export const VOUCHER_TYPES: Record<string, TypedDataField[]> = {
  Voucher: [
    { name: "channelId", type: "uint256" },
    { name: "amount", type: "uint256" },
  ],
};

/** The `PaymentChannels` deployment a voucher is signed for: its EIP-712 domain is (Tributary, 1, chainId, contract). */
export interface ChannelsDeployment {
  readonly chainId: bigint;
  /** The PaymentChannels contract, lower case. */
  readonly contract: Address;
}

/** A buyer's promise: the channel's provider may redeem up to `amount` in total (cumulative, not per request). */
export interface Voucher {
  readonly channelId: bigint;
  readonly amount: bigint;
}

/** A voucher with the deployment it is signed for and the buyer's 65-byte EIP-712 signature. */
export interface SignedVoucher extends Voucher, ChannelsDeployment {
  readonly signature: string;
}

/** The EIP-712 domain PaymentChannels checks vouchers under. */
export function channelsDomain(deployment: ChannelsDeployment) {
  return tributaryDomain(deployment.chainId, deployment.contract);
}

/** The digest the buyer signs, equal to `PaymentChannels.voucherDigest(channelId, amount)` on that deployment. */
export function voucherDigest(deployment: ChannelsDeployment, voucher: Voucher): `0x${string}` {
  const value = { channelId: voucher.channelId, amount: voucher.amount };
  return TypedDataEncoder.hash(channelsDomain(deployment), VOUCHER_TYPES, value) as `0x${string}`;
}

/** Signs a cumulative voucher for `channelId` on `deployment`. */
export async function signVoucher(
  signer: TypedDataSigner,
  deployment: ChannelsDeployment,
  voucher: Voucher,
): Promise<SignedVoucher> {
  const value = { channelId: voucher.channelId, amount: voucher.amount };
  const signature = await signer.signTypedData(channelsDomain(deployment), VOUCHER_TYPES, value);
  return { ...deployment, channelId: voucher.channelId, amount: voucher.amount, signature };
}

/**
 * The address (lower case) that signed the voucher, with ethers' EIP-712 implementation: the reference a faster
 * verifier is tested against. Throws `InvalidSignatureError` at `path` when none can be recovered.
 */
export function recoverVoucherSigner(voucher: SignedVoucher, path = "payment.signature"): Address {
  const value = { channelId: voucher.channelId, amount: voucher.amount };
  return recoverOrThrow(path, voucher.signature, () =>
    verifyTypedData(channelsDomain(voucher), VOUCHER_TYPES, value, voucher.signature),
  );
}

/** A signed voucher as it travels in JSON: integers as decimal strings. */
export const SignedVoucherSchema = z
  .strictObject({
    chainId: Uint256Schema,
    contract: AddressSchema,
    channelId: Uint256Schema,
    amount: Uint256Schema,
    signature: SignatureSchema,
  })
  .transform(
    (wire): SignedVoucher => ({
      chainId: BigInt(wire.chainId),
      contract: wire.contract,
      channelId: BigInt(wire.channelId),
      amount: BigInt(wire.amount),
      signature: wire.signature,
    }),
  );
export type SignedVoucherWire = z.input<typeof SignedVoucherSchema>;

/** The JSON form of a signed voucher (what `SignedVoucherSchema` parses back). */
export function voucherToWire(voucher: SignedVoucher): SignedVoucherWire {
  return {
    chainId: voucher.chainId.toString(),
    contract: voucher.contract,
    channelId: voucher.channelId.toString(),
    amount: voucher.amount.toString(),
    signature: voucher.signature,
  };
}
