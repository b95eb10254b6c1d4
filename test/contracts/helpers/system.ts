import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import { DEFAULT_DEPLOY_OPTIONS, type DeployOptions, deploySystem } from "@tributary/contracts/deploy";
import { network } from "hardhat";

/** One connection to the in-process chain shared by every contract test file (fixtures snapshot it). */
export const { ethers, networkHelpers } = await network.getOrCreate();

export const E18 = 10n ** 18n;
export const DAY = 24n * 60n * 60n;
export const BPS = 10_000n;

/** A token amount in whole units (18 decimals). */
export function units(whole: bigint | number): bigint {
  return BigInt(whole) * E18;
}

export function defined<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`missing ${what}`);
  return value;
}

/** The parameters the unit tests deploy with: production defaults, administered by the `gov` signer. */
export function testOptions(gov: string): DeployOptions {
  return { ...DEFAULT_DEPLOY_OPTIONS, admin: gov };
}

/** The amount of TRIB each actor starts with. */
export const STARTING_BALANCE = units(1_000_000);

async function namedSigners() {
  const all = await ethers.getSigners();
  const at = (index: number): HardhatEthersSigner => defined(all[index], `signer ${index}`);
  return {
    deployer: at(0),
    gov: at(1),
    researcher: at(2),
    coordinator: at(3),
    provider: at(4),
    buyer: at(5),
    challenger: at(6),
    alice: at(7),
    bob: at(8),
    carol: at(9),
    members: [at(10), at(11), at(12)] as const,
    stranger: at(13),
  };
}

/**
 * The whole system, administered by `gov` instead of the timelock so unit tests can change parameters directly
 * (the governance tests use the timelock). Every actor holds `STARTING_BALANCE` TRIB and as many mock USDC.
 */
export async function systemFixture() {
  const actors = await namedSigners();
  const { contracts, deployment } = await deploySystem(ethers, actors.deployer, testOptions(actors.gov.address));
  const usdc = await ethers.deployContract("MockERC20", ["USD Coin", "USDC", 18]);
  const everyone = [
    actors.gov,
    actors.researcher,
    actors.coordinator,
    actors.provider,
    actors.buyer,
    actors.challenger,
    actors.alice,
    actors.bob,
    actors.carol,
    ...actors.members,
    actors.stranger,
  ];
  for (const account of everyone) {
    await contracts.token.connect(actors.deployer).transfer(account.address, STARTING_BALANCE);
    await usdc.mint(account.address, STARTING_BALANCE);
  }
  return { ...contracts, usdc, deployment, ...actors };
}

export type System = Awaited<ReturnType<typeof systemFixture>>;

/** A fresh copy of the system (snapshot-restored after the first call). */
export function loadSystem(): Promise<System> {
  return networkHelpers.loadFixture(systemFixture);
}

/** The timestamp the next mined block will get when `seconds` pass first (blocks advance one second each). */
export async function increaseTime(seconds: bigint | number): Promise<void> {
  await networkHelpers.time.increase(seconds);
}

export async function latestTime(): Promise<bigint> {
  return BigInt(await networkHelpers.time.latest());
}
