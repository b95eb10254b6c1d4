import { AddressSchema } from "@tributary/protocol";
import { z } from "zod";

/**
 * Ocean Protocol's contracts on a chain, named as Ocean's own `addresses/address.json` names them (the names
 * `@oceanprotocol/lib`'s `ConfigHelper.getAddressesFromEnv` reads). On a public network they are Ocean's
 * deployment; on a chain of one's own, `deployOcean`'s.
 */
export const OceanAddressesSchema = z.object({
  chainId: z.number().int().positive(),
  /** The block of the first Ocean deployment transaction: readers scan Ocean's events from here. */
  startBlock: z.number().int().nonnegative(),
  Ocean: AddressSchema,
  OPFCommunityFeeCollector: AddressSchema,
  Router: AddressSchema,
  FixedPrice: AddressSchema,
  Dispenser: AddressSchema,
  ERC721Factory: AddressSchema,
  /** Template index → address, as Ocean's address file lists them. */
  ERC721Template: z.record(z.string(), AddressSchema),
  ERC20Template: z.record(z.string(), AddressSchema),
});
export type OceanAddresses = z.infer<typeof OceanAddressesSchema>;
