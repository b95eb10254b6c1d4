import hardhatEthers from "@nomicfoundation/hardhat-ethers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import { createHardhatRuntimeEnvironment } from "hardhat/hre";
import { DEFAULT_DEPLOY_OPTIONS, type DeployOptions, deploySystem } from "./deploy-system.js";
import type { Deployment } from "./deployments.js";
import { ARTIFACTS_DIR, CACHE_DIR, ensureCompiled, findHardhatRoot } from "./hardhat-project.js";

/** Where and as whom `deployOverRpc` deploys. */
export interface RpcDeployOptions {
  /** Any EVM chain's JSON-RPC endpoint (HTTP), e.g. `http://127.0.0.1:8545` of `npx hardhat node`. */
  readonly rpcUrl: string;
  /** The deployer's key (0x + 64 hex): it pays the gas and receives the initial TRIB supply. */
  readonly privateKey: string;
  /** Default `DEFAULT_DEPLOY_OPTIONS`: every administrator role ends with the timelock (governance). */
  readonly options?: DeployOptions;
}

/**
 * Deploys and wires the whole system on the chain behind `rpcUrl` from the deployer's key, exactly as
 * `contracts/scripts/deploy.ts` does through `hardhat run --network`, and returns the deployment (what
 * `contracts/deployments/<chainId>.json` holds). The key signs locally; nothing but signed transactions reaches the
 * node. Compiles the contracts first when their artifacts are missing.
 */
export async function deployOverRpc(input: RpcDeployOptions): Promise<Deployment> {
  const root = findHardhatRoot();
  await ensureCompiled(root);
  const hre = await createHardhatRuntimeEnvironment(
    {
      plugins: [hardhatEthers],
      paths: { artifacts: ARTIFACTS_DIR, cache: CACHE_DIR },
      networks: { target: { type: "http", url: input.rpcUrl, accounts: [input.privateKey] } },
    },
    {},
    root,
  );
  const connection = await hre.network.connect({ network: "target" });
  try {
    const [deployer] = await connection.ethers.getSigners();
    if (deployer === undefined) throw new Error("the deployer key gave no signer");
    const system = await deploySystem(
      connection.ethers,
      deployer as HardhatEthersSigner,
      input.options ?? DEFAULT_DEPLOY_OPTIONS,
    );
    return system.deployment;
  } finally {
    await connection.close();
  }
}
