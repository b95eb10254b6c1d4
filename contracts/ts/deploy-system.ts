import type { HardhatEthers, HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import type { BaseContract, ContractRunner, ContractTransactionResponse } from "ethers";
import {
  connectAttestationRegistry,
  connectDatasetRegistry,
  connectModelRegistry,
  connectOptimisticVerifier,
  connectPaymentChannels,
  connectStaking,
  connectTrainingJobs,
  connectTreasury,
  connectTributaryGovernor,
  connectTributaryTimelock,
  connectTributaryToken,
} from "../typed/connect.js";
import { type Deployment, parseDeployment } from "./deployments.js";

const E18 = 10n ** 18n;
const DAY = 24 * 60 * 60;

/** Everything a deployment can be tuned with. Amounts are in token units (18 decimals), times in seconds. */
export interface DeployOptions {
  readonly tokenCap: bigint;
  /** Minted at deployment to `initialHolder` (default: the deployer); the deployer keeps no minter role. */
  readonly initialSupply: bigint;
  readonly initialHolder?: string;
  readonly treasuryBurnBps: bigint;
  readonly unbondingDelay: bigint;
  readonly slashWinnerShareBps: bigint;
  readonly jobs: { protocolFeeBps: bigint; claimPeriod: bigint; staleJobTimeout: bigint };
  readonly models: {
    minModelStake: bigint;
    protocolFeeBps: bigint;
    providerShareBps: bigint;
    researcherShareBps: bigint;
    contributorShareBps: bigint;
  };
  readonly verifier: {
    disputeWindow: bigint;
    resolutionPeriod: bigint;
    responseTimeout: bigint;
    committeeThreshold: bigint;
    challengerBond: bigint;
    providerSlashAmount: bigint;
    minCommitteeStake: bigint;
  };
  readonly channelChallengePeriod: bigint;
  readonly governor: {
    votingDelay: bigint;
    votingPeriod: bigint;
    proposalThreshold: bigint;
    quorumPercent: bigint;
    timelockDelay: bigint;
  };
  /** Granted `REGISTRAR_ROLE` on the attestation registry (the coordinator's attestation service), if given. */
  readonly attestationRegistrar?: string;
  /**
   * Who administers every contract afterwards. Default: the timelock, so only governance changes parameters.
   * An address here (a dev key, a test signer) keeps the timelock and governor deployed but powerless.
   */
  readonly admin?: string;
}

export const DEFAULT_DEPLOY_OPTIONS: DeployOptions = {
  tokenCap: 1_000_000_000n * E18,
  initialSupply: 100_000_000n * E18,
  treasuryBurnBps: 5_000n,
  unbondingDelay: BigInt(7 * DAY),
  slashWinnerShareBps: 5_000n,
  jobs: { protocolFeeBps: 250n, claimPeriod: BigInt(30 * DAY), staleJobTimeout: BigInt(14 * DAY) },
  models: {
    minModelStake: 1_000n * E18,
    protocolFeeBps: 250n,
    providerShareBps: 7_000n,
    researcherShareBps: 1_500n,
    contributorShareBps: 1_500n,
  },
  verifier: {
    // The seed's 7,200 blocks were ~24 h on Ethereum; the window is in seconds so L2s get the same time.
    disputeWindow: BigInt(DAY),
    resolutionPeriod: BigInt(3 * DAY),
    responseTimeout: BigInt(60 * 60),
    committeeThreshold: 2n,
    challengerBond: 100n * E18,
    providerSlashAmount: 500n * E18,
    minCommitteeStake: 1_000n * E18,
  },
  channelChallengePeriod: BigInt(DAY),
  governor: {
    votingDelay: BigInt(DAY),
    votingPeriod: BigInt(5 * DAY),
    proposalThreshold: 100_000n * E18,
    quorumPercent: 4n,
    timelockDelay: BigInt(2 * DAY),
  },
};

/** Waits for `contract` to be deployed and returns it typed by `connect` (a `connect<Name>` of contracts/typed). */
async function deployed<T>(
  contract: Promise<BaseContract>,
  connect: (address: string, runner: ContractRunner) => T,
  runner: ContractRunner,
): Promise<T> {
  const deployment = await (await contract).waitForDeployment();
  return connect(await deployment.getAddress(), runner);
}

/** Waits for a transaction to be mined. */
async function mined(tx: Promise<ContractTransactionResponse>): Promise<void> {
  await (await tx).wait();
}

/**
 * Deploys the whole system from `deployer`, wires the roles between contracts (the model registry locks stake,
 * the verifier slashes and reports reputation, the governor proposes to the timelock), then hands every
 * administrator role to `options.admin` (default: the timelock) and renounces the deployer's.
 */
export async function deploySystem(
  ethers: HardhatEthers,
  deployer: HardhatEthersSigner,
  options: DeployOptions = DEFAULT_DEPLOY_OPTIONS,
) {
  const me = deployer.address;
  const startBlock = await ethers.provider.getBlockNumber();

  const token = await deployed(
    ethers.deployContract("TributaryToken", [options.tokenCap, me], deployer),
    connectTributaryToken,
    deployer,
  );
  const timelock = await deployed(
    ethers.deployContract(
      "TributaryTimelock",
      [options.governor.timelockDelay, [], [ethers.ZeroAddress], me],
      deployer,
    ),
    connectTributaryTimelock,
    deployer,
  );
  const g = options.governor;
  const governor = await deployed(
    ethers.deployContract(
      "TributaryGovernor",
      [token, timelock, g.votingDelay, g.votingPeriod, g.proposalThreshold, g.quorumPercent],
      deployer,
    ),
    connectTributaryGovernor,
    deployer,
  );
  const treasury = await deployed(
    ethers.deployContract("Treasury", [token, options.treasuryBurnBps, me], deployer),
    connectTreasury,
    deployer,
  );
  const staking = await deployed(
    ethers.deployContract(
      "Staking",
      [token, treasury, options.unbondingDelay, options.slashWinnerShareBps, me],
      deployer,
    ),
    connectStaking,
    deployer,
  );
  const datasets = await deployed(
    ethers.deployContract("DatasetRegistry", [], deployer),
    connectDatasetRegistry,
    deployer,
  );
  const jobs = await deployed(
    ethers.deployContract("TrainingJobs", [datasets, treasury, options.jobs, me], deployer),
    connectTrainingJobs,
    deployer,
  );
  const models = await deployed(
    ethers.deployContract("ModelRegistry", [staking, jobs, treasury, options.models, me], deployer),
    connectModelRegistry,
    deployer,
  );
  const verifier = await deployed(
    ethers.deployContract("OptimisticVerifier", [models, staking, treasury, options.verifier, me], deployer),
    connectOptimisticVerifier,
    deployer,
  );
  const channels = await deployed(
    ethers.deployContract("PaymentChannels", [options.channelChallengePeriod, me], deployer),
    connectPaymentChannels,
    deployer,
  );
  const attestation = await deployed(
    ethers.deployContract("AttestationRegistry", [me], deployer),
    connectAttestationRegistry,
    deployer,
  );

  // Every call below is the deployer's.
  // Initial supply, then the deployer gives up minting.
  const minter = await token.MINTER_ROLE();
  await mined(token.grantRole(minter, me));
  if (options.initialSupply > 0n) await mined(token.mint(options.initialHolder ?? me, options.initialSupply));
  await mined(token.renounceRole(minter, me));

  // Wiring between contracts.
  await mined(staking.grantRole(await staking.LOCKER_ROLE(), models));
  await mined(staking.grantRole(await staking.SLASHER_ROLE(), verifier));
  await mined(models.grantRole(await models.VERIFIER_ROLE(), verifier));
  if (options.attestationRegistrar !== undefined) {
    await mined(attestation.grantRole(await attestation.REGISTRAR_ROLE(), options.attestationRegistrar));
  }
  await mined(timelock.grantRole(await timelock.PROPOSER_ROLE(), governor));
  await mined(timelock.grantRole(await timelock.CANCELLER_ROLE(), governor));

  // Hand over: every parameter belongs to the timelock (or the given admin); the deployer keeps nothing.
  const admin = options.admin ?? (await timelock.getAddress());
  for (const contract of [token, treasury, staking, jobs, models, verifier, channels, attestation]) {
    const adminRole = await contract.DEFAULT_ADMIN_ROLE();
    if (admin.toLowerCase() !== me.toLowerCase()) {
      await mined(contract.grantRole(adminRole, admin));
      await mined(contract.renounceRole(adminRole, me));
    }
  }
  await mined(timelock.renounceRole(await timelock.DEFAULT_ADMIN_ROLE(), me));

  const { chainId } = await ethers.provider.getNetwork();
  const address = (contract: BaseContract) => contract.getAddress();
  const deployment: Deployment = parseDeployment({
    chainId: Number(chainId),
    startBlock: startBlock + 1,
    deployer: me,
    deployedAt: new Date().toISOString(),
    contracts: {
      TributaryToken: await address(token),
      TributaryTimelock: await address(timelock),
      TributaryGovernor: await address(governor),
      Treasury: await address(treasury),
      Staking: await address(staking),
      DatasetRegistry: await address(datasets),
      TrainingJobs: await address(jobs),
      ModelRegistry: await address(models),
      OptimisticVerifier: await address(verifier),
      PaymentChannels: await address(channels),
      AttestationRegistry: await address(attestation),
    },
  });
  return {
    deployment,
    contracts: {
      token,
      timelock,
      governor,
      treasury,
      staking,
      datasets,
      jobs,
      models,
      verifier,
      channels,
      attestation,
    },
  };
}

export type DeployedSystem = Awaited<ReturnType<typeof deploySystem>>;
