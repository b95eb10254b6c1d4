import { readFile } from "node:fs/promises";
import { connectRpc } from "@tributary/auditor";
import { type Deployment, loadDeployment, parseDeployment } from "@tributary/contracts/deployments";
import { AddressSchema, parseInput, TributaryError } from "@tributary/protocol";
import { ChainJobAdmission, type JobAdmission, OFF_CHAIN_ADMISSION } from "@tributary/trainer-agent";

export interface TrainerChainOptions {
  readonly rpc?: string | undefined;
  readonly deployment?: string | undefined;
  /** Comma-separated token addresses; default the deployment's TRIB. */
  readonly paymentTokens?: string | undefined;
  readonly datasetId: string;
}

async function deploymentFor(file: string | undefined, chainId: bigint): Promise<Deployment> {
  let deployment: Deployment;
  try {
    deployment =
      file === undefined ? await loadDeployment(chainId) : parseDeployment(JSON.parse(await readFile(file, "utf8")));
  } catch (error) {
    const missing = (error as NodeJS.ErrnoException).code === "ENOENT";
    throw new TributaryError(
      "INVALID_INPUT",
      missing && file === undefined
        ? `no deployment of Tributary is known for chain ${chainId}: give --deployment FILE`
        : `--deployment ${file ?? `(chain ${chainId})`}: ${(error as Error).message}`,
    );
  }
  if (BigInt(deployment.chainId) !== chainId) {
    throw new TributaryError(
      "INVALID_INPUT",
      `the deployment describes chain ${deployment.chainId}, but --rpc serves chain ${chainId}`,
    );
  }
  return deployment;
}

/**
 * The owner's job admission: with `--rpc`, every job is checked on the chain (contract addresses from
 * `--deployment` or the deployment file for the RPC's chain, never from the coordinator); without, none is.
 */
export async function trainerAdmission(options: TrainerChainOptions): Promise<{
  admission: JobAdmission;
  close: () => void;
}> {
  if (options.rpc === undefined) {
    if (options.paymentTokens !== undefined || options.deployment !== undefined) {
      throw new TributaryError("INVALID_INPUT", "--payment-tokens and --deployment need --rpc (the chain to check on)");
    }
    return { admission: OFF_CHAIN_ADMISSION, close: () => {} };
  }
  const provider = await connectRpc(options.rpc);
  try {
    const { chainId } = await provider.getNetwork();
    const deployment = await deploymentFor(options.deployment, chainId);
    const allowedTokens =
      options.paymentTokens === undefined
        ? [deployment.contracts.TributaryToken]
        : options.paymentTokens
            .split(",")
            .map((token, index) => parseInput(AddressSchema, token.trim(), `--payment-tokens[${index}]`));
    const admission = new ChainJobAdmission({
      runner: provider,
      chainId: Number(chainId),
      trainingJobs: deployment.contracts.TrainingJobs,
      datasetRegistry: deployment.contracts.DatasetRegistry,
      datasetId: options.datasetId,
      allowedTokens,
    });
    return { admission, close: () => provider.destroy() };
  } catch (error) {
    provider.destroy();
    throw error;
  }
}
