import path from "node:path";
import { connectDatasetRegistry, type DatasetRegistry } from "@tributary/contracts/typed";
import type { Wallet } from "ethers";
import { vi } from "vitest";
import { writeMnistIdx } from "../../trainer-agent/test-support/mnist-package.js";
import { type DeployedChain, startDeployedChain } from "./deployed-chain.js";
import { type Ran, tributary } from "./run-tributary.js";

/** A deployed chain as a data owner's command tests use it: a data directory, and `tributary dataset …` on it. */
export interface OwnerChain extends DeployedChain {
  /** MNIST-format IDX files (`train-…` and `t10k-…`) of real digits. */
  readonly dataDir: string;
  /** `tributary dataset …args --rpc … --deployment …`, in process. */
  dataset(...args: string[]): Promise<Ran>;
  /** DatasetRegistry, read through the test's own provider. */
  registry(): DatasetRegistry;
  /** A fresh funded owner (100 ETH, or `ether`) whose key the commands now use (TRIBUTARY_TRAINER_KEY). */
  newOwner(ether?: bigint): Promise<Wallet>;
  /** Acts as `wallet` from now on. */
  actAs(wallet: Wallet): Wallet;
}

/** Starts a deployed chain and writes `records` digits into its data directory. */
export async function startOwnerChain(records: { train: number; test: number }): Promise<OwnerChain> {
  const deployed = await startDeployedChain();
  const dataDir = path.join(deployed.dir, "mnist");
  await writeMnistIdx(dataDir, records);
  const { chain, provider, deploymentFile } = deployed;
  const actAs = (wallet: Wallet) => {
    vi.stubEnv("TRIBUTARY_TRAINER_KEY", wallet.privateKey);
    return wallet;
  };
  return {
    ...deployed,
    dataDir,
    dataset: (...args) => tributary("dataset", ...args, "--rpc", chain.url, "--deployment", deploymentFile),
    registry: () => connectDatasetRegistry(chain.system.deployment.contracts.DatasetRegistry, provider),
    newOwner: async (ether) => actAs(await chain.fundedWallet(ether === undefined ? {} : { ether })),
    actAs,
  };
}
