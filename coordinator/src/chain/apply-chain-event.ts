import type { ChainEvent } from "@tributary/protocol";
import type { Transaction } from "../database/transaction-runner.repository.js";
import type { ChainIndexRepository, EventPosition } from "./chain-index.repository.js";

/**
 * Applies one parsed DatasetRegistry or TrainingJobs event to the chain tables in the range's transaction.
 * Idempotent (see `ChainIndexRepository`). Returns the id of a job it created (`JobCreated` seen for the first
 * time).
 */
export async function applyChainEvent(
  index: ChainIndexRepository,
  tx: Transaction,
  event: ChainEvent,
  at: EventPosition,
): Promise<{ createdJob?: string }> {
  switch (event.name) {
    case "DatasetRegistered":
      await index.registerDataset(tx, at, event.args);
      return {};
    case "DatasetUpdated":
      await index.updateDataset(tx, at, event.args);
      return {};
    case "DatasetDeactivated":
      await index.deactivateDataset(tx, at, event.args.datasetId);
      return {};
    case "DatasetTransferred":
      await index.transferDataset(tx, at, event.args.datasetId, event.args.newOwner);
      return {};
    case "JobCreated":
      return (await index.createJob(tx, at, event.args)) ? { createdJob: event.args.jobId } : {};
    case "JobAccepted":
      await index.acceptJob(tx, at, event.args);
      return {};
    case "RoundAnchored":
      await index.anchorRound(tx, at, event.args);
      return {};
    case "JobFinalized":
      await index.finalizeJob(tx, at, event.args);
      return {};
    case "JobCancelled":
      await index.cancelJob(tx, at, event.args);
      return {};
  }
}
