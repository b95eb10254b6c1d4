import type { Deployment } from "@tributary/contracts/deployments";
import { connectModelRegistry, connectOptimisticVerifier } from "@tributary/contracts/typed";
import type { Address } from "@tributary/protocol";
import type { Provider } from "ethers";
import { EventScanner } from "./event-scanner.js";
import { emptyRecord, readVerificationRecords, type VerificationRecord } from "./verification-record.js";

/** A model listed from a job's final weights, as ModelRegistry holds it now, with its record of verified results. */
export interface JobModelRecord {
  readonly modelId: string;
  readonly provider: Address;
  readonly active: boolean;
  readonly reputation: bigint;
  /** The stake still locked for it (wei of the staking token). */
  readonly stake: bigint;
  readonly verification: VerificationRecord;
}

/**
 * The models registered on the deployment's ModelRegistry from job `jobId` (`ModelRegistered`, whose job is indexed,
 * read in chunks from the deployment's start block), each with its provider's disputes and slashes
 * (`readVerificationRecords`): what the ledger of a job cannot say by itself, since listings and verification happen
 * after the job, on other contracts.
 */
export async function readJobModelRecords(
  provider: Provider,
  deployment: Deployment,
  jobId: bigint,
): Promise<JobModelRecord[]> {
  const models = connectModelRegistry(deployment.contracts.ModelRegistry, provider);
  const filter = models.filters.ModelRegistered(undefined, undefined, jobId);
  const scanner = await EventScanner.open((from, to) => models.queryFilter(filter, from, to), {
    fromBlock: deployment.startBlock,
  });
  const ids: bigint[] = [];
  await scanner.scan(await provider.getBlockNumber(), async (logs) => {
    for (const log of logs) ids.push(log.args.modelId);
  });
  if (ids.length === 0) return [];
  const records = await readVerificationRecords({
    provider,
    verifier: connectOptimisticVerifier(deployment.contracts.OptimisticVerifier, provider),
    models,
    fromBlock: deployment.startBlock,
    modelIds: ids,
  });
  const listed: JobModelRecord[] = [];
  for (const modelId of ids) {
    const model = await models.getModel(modelId);
    listed.push({
      modelId: String(modelId),
      provider: model.provider.toLowerCase() as Address,
      active: model.active,
      reputation: model.reputationScore,
      stake: model.stake,
      verification: records.get(String(modelId)) ?? emptyRecord(modelId),
    });
  }
  return listed;
}
