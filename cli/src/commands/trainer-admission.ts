import { connectRpc } from "@tributary/auditor";
import { connectDatasetRegistry } from "@tributary/contracts/typed";
import { AddressSchema, parseInput, TributaryError } from "@tributary/protocol";
import {
  ChainJobAdmission,
  type JobAdmission,
  OceanOrderAdmission,
  OFF_CHAIN_ADMISSION,
} from "@tributary/trainer-agent";
import { resolveDeployment } from "../chain/deployment.js";
import { readDataset } from "../dataset/dataset-records.js";
import type { EnrolledBudget } from "./trainer-budget.js";

export interface TrainerChainOptions {
  readonly rpc?: string | undefined;
  readonly deployment?: string | undefined;
  /** Comma-separated token addresses; default the deployment's TRIB. */
  readonly paymentTokens?: string | undefined;
  readonly datasetId: string;
}

/**
 * The owner's job admission: with `--rpc`, every job is checked on the chain (contract addresses from
 * `--deployment` or the deployment file for the RPC's chain, never from the coordinator), and when the deployment
 * names Ocean Protocol's contracts, the researcher's datatoken order for a dataset published there
 * (`OceanOrderAdmission`); without, none is. With
 * `--rpc`, also the (ε, δ) the dataset enrolled on DatasetRegistry (a dataset the registry does not know is an
 * error).
 */
export async function trainerAdmission(options: TrainerChainOptions): Promise<{
  admission: JobAdmission;
  enrolled: EnrolledBudget | undefined;
  close: () => void;
}> {
  if (options.rpc === undefined) {
    if (options.paymentTokens !== undefined || options.deployment !== undefined) {
      throw new TributaryError("INVALID_INPUT", "--payment-tokens and --deployment need --rpc (the chain to check on)");
    }
    return { admission: OFF_CHAIN_ADMISSION, enrolled: undefined, close: () => {} };
  }
  const provider = await connectRpc(options.rpc);
  try {
    const { chainId } = await provider.getNetwork();
    const { deployment } = await resolveDeployment(options.deployment, chainId);
    const allowedTokens =
      options.paymentTokens === undefined
        ? [deployment.contracts.TributaryToken]
        : options.paymentTokens
            .split(",")
            .map((token, index) => parseInput(AddressSchema, token.trim(), `--payment-tokens[${index}]`));
    const onChain = new ChainJobAdmission({
      runner: provider,
      chainId: Number(chainId),
      trainingJobs: deployment.contracts.TrainingJobs,
      datasetRegistry: deployment.contracts.DatasetRegistry,
      datasetId: options.datasetId,
      allowedTokens,
    });
    // With Ocean's contracts in the deployment, a dataset the owner published there trains only for order holders.
    const admission =
      deployment.ocean === undefined
        ? onChain
        : new OceanOrderAdmission(onChain, {
            provider,
            ocean: deployment.ocean,
            trainingJobs: deployment.contracts.TrainingJobs,
            datasetRegistry: deployment.contracts.DatasetRegistry,
            datasetId: options.datasetId,
          });
    const dataset = await readDataset(
      connectDatasetRegistry(deployment.contracts.DatasetRegistry, provider),
      options.datasetId,
    );
    return {
      admission,
      enrolled: {
        epsilon: dataset.epsilon,
        delta: dataset.delta,
        epsilonFixed: dataset.epsilonFixed,
        deltaFixed: dataset.deltaFixed,
      },
      close: () => provider.destroy(),
    };
  } catch (error) {
    provider.destroy();
    throw error;
  }
}
