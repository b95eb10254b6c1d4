import { type BaseContract, ContractFactory, type Signer } from "ethers";
import { type OceanAddresses, OceanAddressesSchema } from "./ocean-addresses.js";
import { type OceanContractName, oceanArtifact } from "./ocean-artifacts.js";

/** Ocean's deploy script gives the router this address for the (unused) Balancer pool template. */
const DEAD_ADDRESS = "0x000000000000000000000000000000000000dEaD";

/**
 * Deploys Ocean Protocol's marketplace contracts from the `@oceanprotocol/contracts` artifacts, in the order and
 * with the constructor arguments of Ocean's `scripts/deploy-contracts.js` for a development chain: OceanToken (owned
 * and fully held by `deployer`), the OPF community fee collector, the FactoryRouter, the fixed-rate exchange, the
 * ERC20 and ERC721 templates, the dispenser and the ERC721 factory; then the router learns the factory, the
 * exchange and the dispenser. `deployer` owns the router and collects Ocean's community fees. Each transaction
 * waits for its receipt.
 */
export async function deployOcean(deployer: Signer): Promise<OceanAddresses> {
  const provider = deployer.provider;
  if (provider === null) throw new Error("deployOcean: the deployer must be connected to a provider");
  const owner = await deployer.getAddress();
  const deploy = async (name: OceanContractName, ...args: unknown[]): Promise<string> => {
    const { abi, bytecode } = oceanArtifact(name);
    const contract: BaseContract = await new ContractFactory(abi, bytecode, deployer).deploy(...args);
    await contract.waitForDeployment();
    return contract.getAddress();
  };
  const startBlock = await provider.getBlockNumber();
  const ocean = await deploy("OceanToken", owner);
  const collector = await deploy("OPFCommunityFeeCollector", owner, owner);
  const router = await deploy("FactoryRouter", owner, ocean, DEAD_ADDRESS, collector, []);
  const fixedPrice = await deploy("FixedRateExchange", router);
  const erc20Template = await deploy("ERC20Template");
  const erc721Template = await deploy("ERC721Template");
  const dispenser = await deploy("Dispenser", router);
  const factory = await deploy("ERC721Factory", erc721Template, erc20Template, router);
  const routerContract = new ContractFactory(oceanArtifact("FactoryRouter").abi, "0x", deployer).attach(router);
  for (const [method, address] of [
    ["addFactory", factory],
    ["addFixedRateContract", fixedPrice],
    ["addDispenserContract", dispenser],
  ] as const) {
    const tx = await routerContract.getFunction(method)(address);
    const receipt = await tx.wait();
    if (receipt === null || receipt.status !== 1) throw new Error(`FactoryRouter.${method}: transaction failed`);
  }
  const { chainId } = await provider.getNetwork();
  return OceanAddressesSchema.parse({
    chainId: Number(chainId),
    startBlock,
    Ocean: ocean,
    OPFCommunityFeeCollector: collector,
    Router: router,
    FixedPrice: fixedPrice,
    Dispenser: dispenser,
    ERC721Factory: factory,
    ERC721Template: { "1": erc721Template },
    ERC20Template: { "1": erc20Template },
  });
}
