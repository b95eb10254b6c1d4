import { createRequire } from "node:module";
import type { InterfaceAbi } from "ethers";
import { z } from "zod";

const require = createRequire(import.meta.url);

/** The Ocean Protocol contracts Tributary deploys or reads, by their path in `@oceanprotocol/contracts`' artifacts. */
const OCEAN_ARTIFACTS = {
  OceanToken: "utils/OceanToken.sol/OceanToken",
  OPFCommunityFeeCollector: "communityFee/OPFCommunityFeeCollector.sol/OPFCommunityFeeCollector",
  FactoryRouter: "pools/FactoryRouter.sol/FactoryRouter",
  FixedRateExchange: "pools/fixedRate/FixedRateExchange.sol/FixedRateExchange",
  Dispenser: "pools/dispenser/Dispenser.sol/Dispenser",
  ERC20Template: "templates/ERC20Template.sol/ERC20Template",
  ERC721Template: "templates/ERC721Template.sol/ERC721Template",
  ERC721Factory: "ERC721Factory.sol/ERC721Factory",
} as const;

export type OceanContractName = keyof typeof OCEAN_ARTIFACTS;

/** A Hardhat artifact as Ocean publishes it: the ABI and the creation bytecode (no library links in these). */
const ArtifactSchema = z.object({
  contractName: z.string(),
  abi: z.array(z.looseObject({ type: z.string() })),
  bytecode: z.string().regex(/^0x[0-9a-fA-F]*$/, "must be unlinked hex bytecode"),
});

export interface OceanArtifact {
  readonly contractName: string;
  readonly abi: InterfaceAbi;
  readonly bytecode: string;
}

const loaded = new Map<OceanContractName, OceanArtifact>();

/**
 * The ABI and bytecode of one of Ocean's contracts, read from the `@oceanprotocol/contracts` package (the
 * artifacts Ocean itself deploys from) and checked to be a complete Hardhat artifact.
 */
export function oceanArtifact(name: OceanContractName): OceanArtifact {
  const cached = loaded.get(name);
  if (cached !== undefined) return cached;
  const json: unknown = require(`@oceanprotocol/contracts/artifacts/contracts/${OCEAN_ARTIFACTS[name]}.json`);
  const artifact = ArtifactSchema.parse(json);
  if (artifact.contractName !== name) {
    throw new Error(`@oceanprotocol/contracts: the artifact of ${name} describes ${artifact.contractName}`);
  }
  const result: OceanArtifact = { contractName: name, abi: artifact.abi as InterfaceAbi, bytecode: artifact.bytecode };
  loaded.set(name, result);
  return result;
}
