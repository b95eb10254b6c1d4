import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import { ethers } from "./system.js";

export const VOUCHER_TYPES = {
  Voucher: [
    { name: "channelId", type: "uint256" },
    { name: "amount", type: "uint256" },
  ],
};

/** The buyer's EIP-712 voucher for a cumulative `amount` on `channelId` of the `channels` deployment. */
export async function signVoucher(
  signer: HardhatEthersSigner,
  channels: { getAddress(): Promise<string> },
  channelId: bigint,
  amount: bigint,
  chainId?: bigint,
): Promise<string> {
  const domain = {
    name: "Tributary",
    version: "1",
    chainId: chainId ?? (await ethers.provider.getNetwork()).chainId,
    verifyingContract: await channels.getAddress(),
  };
  return signer.signTypedData(domain, VOUCHER_TYPES, { channelId, amount });
}
