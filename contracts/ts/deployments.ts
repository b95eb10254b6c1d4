import { readFile } from "node:fs/promises";
import { z } from "zod";
import { OceanAddressesSchema } from "./ocean/ocean-addresses.js";

/** Every contract one deployment of Tributary consists of, by contract name. */
export const DEPLOYED_CONTRACTS = [
  "TributaryToken",
  "TributaryTimelock",
  "TributaryGovernor",
  "Treasury",
  "Staking",
  "DatasetRegistry",
  "TrainingJobs",
  "ModelRegistry",
  "OptimisticVerifier",
  "PaymentChannels",
  "AttestationRegistry",
] as const;

export type DeployedContractName = (typeof DEPLOYED_CONTRACTS)[number];

const AddressSchema = z
  .string()
  .regex(/^0x[0-9a-fA-F]{40}$/, "must be a 20-byte hex address (0x + 40 hex digits)")
  .transform((value) => value.toLowerCase() as `0x${string}`);

const contractsShape = Object.fromEntries(DEPLOYED_CONTRACTS.map((name) => [name, AddressSchema])) as Record<
  DeployedContractName,
  typeof AddressSchema
>;

/** The file `contracts/deployments/<chainId>.json` that the deploy script writes. */
export const DeploymentSchema = z.object({
  chainId: z.number().int().positive(),
  /** The block of the first deployment transaction: indexers scan events from here. */
  startBlock: z.number().int().nonnegative(),
  deployer: AddressSchema,
  /** ISO-8601 time the deployment finished. */
  deployedAt: z.iso.datetime(),
  contracts: z.object(contractsShape).strict(),
  /**
   * Ocean Protocol's contracts on the same chain, when datasets are published there as Ocean data NFTs (Ocean's own
   * deployment on a public network, `deployOcean`'s on a chain of one's own): coordinators and trainer agents then
   * check researchers' datatoken orders on them.
   */
  ocean: OceanAddressesSchema.optional(),
});

export type Deployment = z.infer<typeof DeploymentSchema>;

/** Parses a deployment read from anywhere (a fetched JSON, an import); throws a `ZodError` naming the bad field. */
export function parseDeployment(json: unknown): Deployment {
  return DeploymentSchema.parse(json);
}

/**
 * The directory the deploy script writes to: this package's `deployments/`, whether this module runs from its
 * source (`ts/`) or from its build (`dist/ts/`).
 */
export const DEPLOYMENTS_DIR = new URL(
  import.meta.url.includes("/dist/ts/") ? "../../deployments/" : "../deployments/",
  import.meta.url,
);

/**
 * Reads and parses `deployments/<chainId>.json` (Node only). `dir` defaults to this package's `deployments/`;
 * the file's own chain id must match the one asked for.
 */
export async function loadDeployment(chainId: number | bigint, dir: URL = DEPLOYMENTS_DIR): Promise<Deployment> {
  const file = new URL(`${chainId}.json`, dir);
  const deployment = parseDeployment(JSON.parse(await readFile(file, "utf8")));
  if (BigInt(deployment.chainId) !== BigInt(chainId)) {
    throw new RangeError(`${file.pathname} describes chain ${deployment.chainId}, not chain ${chainId}`);
  }
  return deployment;
}
