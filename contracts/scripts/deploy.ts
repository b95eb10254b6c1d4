// Deploys and wires the whole system on the selected network and writes contracts/deployments/<chainId>.json:
//   npm run deploy -w @tributary/contracts -- --network <name>
// (or from the root: hardhat run --network <name> contracts/scripts/deploy.ts). The first configured account
// deploys; every administrator role ends with the timelock. `tributary deploy --rpc URL` makes the same deployment
// (`deployOverRpc`) on any chain's JSON-RPC endpoint with the deployer's keystore, no Hardhat network config needed.
import { mkdir, writeFile } from "node:fs/promises";
import { network } from "hardhat";
import { DEFAULT_DEPLOY_OPTIONS, deploySystem } from "../ts/deploy-system.js";
import { DEPLOYMENTS_DIR } from "../ts/deployments.js";

const { ethers, networkName } = await network.getOrCreate();
const [deployer] = await ethers.getSigners();
if (deployer === undefined) throw new Error(`network ${networkName} has no account to deploy from`);

const { deployment } = await deploySystem(ethers, deployer, DEFAULT_DEPLOY_OPTIONS);
await mkdir(DEPLOYMENTS_DIR, { recursive: true });
const file = new URL(`${deployment.chainId}.json`, DEPLOYMENTS_DIR);
await writeFile(file, `${JSON.stringify(deployment, null, 2)}\n`);

console.table(deployment.contracts);
console.log(
  `chain ${deployment.chainId} (${networkName}), from block ${deployment.startBlock}: wrote ${file.pathname}`,
);
