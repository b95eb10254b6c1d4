import { connectRpc } from "@tributary/auditor";
import { connectDatasetRegistry } from "@tributary/contracts/typed";
import type { CommandContext } from "../chain/command-options.js";
import { resolveDeployment } from "../chain/deployment.js";
import { DatasetInactiveError, type DatasetRecord, readDataset } from "../dataset/dataset-records.js";

/**
 * Dataset `datasetId` as DatasetRegistry holds it on the chain at `rpc` (contracts from `--deployment` or the
 * deployment file for the chain): its commitment, which the node's files must hash to, and its ε and δ. A dataset the
 * registry does not know, or one deactivated, is refused.
 */
export async function readEnrolledDataset(
  options: { readonly rpc: string; readonly deployment?: string | undefined; readonly datasetId: string },
  context: CommandContext = {},
): Promise<DatasetRecord> {
  const provider = await connectRpc(options.rpc);
  try {
    const { chainId } = await provider.getNetwork();
    const { deployment } = await resolveDeployment(options.deployment, chainId, context);
    const record = await readDataset(
      connectDatasetRegistry(deployment.contracts.DatasetRegistry, provider),
      options.datasetId,
    );
    if (!record.active) throw new DatasetInactiveError(options.datasetId);
    return record;
  } finally {
    provider.destroy();
  }
}
