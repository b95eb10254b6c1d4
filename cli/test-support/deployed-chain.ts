import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { LocalChain } from "@tributary/contracts/local-chain";
import type { JsonRpcProvider } from "ethers";

/** A local chain with the system deployed, its deployment file as a user keeps it, and a provider to check with. */
export interface DeployedChain {
  readonly chain: LocalChain;
  readonly provider: JsonRpcProvider;
  /** A temporary directory for the test's files (removed by `stop`). */
  readonly dir: string;
  /** The deployment written to `dir`, for `--deployment`. */
  readonly deploymentFile: string;
  stop(): Promise<void>;
}

/** Starts a `LocalChain` and writes its deployment file, as a chain command's test needs. */
export async function startDeployedChain(): Promise<DeployedChain> {
  const chain = await LocalChain.start();
  const provider = chain.provider();
  const dir = await mkdtemp(path.join(tmpdir(), "tributary-chain-command-"));
  const deploymentFile = path.join(dir, "deployment.json");
  await writeFile(deploymentFile, JSON.stringify(chain.system.deployment));
  return {
    chain,
    provider,
    dir,
    deploymentFile,
    stop: async () => {
      provider.destroy();
      await chain.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
