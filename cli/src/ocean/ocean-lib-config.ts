import { type Config, ConfigHelper, LoggerInstance, LogLevel } from "@oceanprotocol/lib";
import type { OceanAddresses } from "@tributary/contracts/ocean";

/**
 * Ocean's name for a chain of one's own in its address files (its deploy script files any chain it does not know
 * under it), which `ConfigHelper` reads addresses by.
 */
const NETWORK = "development";

/**
 * The `@oceanprotocol/lib` configuration for Ocean's contracts at `addresses`: `ConfigHelper`'s base for a
 * development chain with the contract addresses taken, as from an Ocean `address.json`, by
 * `ConfigHelper.getAddressesFromEnv`. No Ocean Node or Provider is named: nothing here calls one. The library's
 * own logging is silenced to errors it throws.
 */
export function oceanLibConfig(addresses: OceanAddresses): Config {
  LoggerInstance.setLevel(LogLevel.None);
  const helper = new ConfigHelper();
  const { oceanNodeUri: _none, ...base } = helper.getConfig(NETWORK);
  const fromFile = helper.getAddressesFromEnv(NETWORK, { [NETWORK]: addresses });
  return { ...base, ...fromFile, chainId: addresses.chainId, network: NETWORK };
}

/** The network argument `@oceanprotocol/lib`'s contract classes take beside their configuration. */
export const OCEAN_NETWORK = NETWORK;
