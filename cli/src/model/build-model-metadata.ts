import { fetchLedger, fetchValidationSet, verifyLedger } from "@tributary/auditor";
import { createValidationEvaluator, ensureModelBackend } from "@tributary/model-runtime";
import { epsilonByDataset, type JobId, type ModelMetadata, modelTask } from "@tributary/protocol";
import type { Provider } from "ethers";
import { RefusedError } from "../chain/run-command.js";
import type { CoordinatorClient } from "../job/coordinator-client.js";
import { downloadJobModel, type JobModel } from "../job/job-model.js";

/** Where the job lives: what `model register` checks the coordinator's answers against. */
export interface JobChain {
  readonly provider: Provider;
  readonly chainId: bigint;
  readonly trainingJobs: string;
}

/**
 * The metadata of a finalised job's final model, every value checked or computed here from what anyone can
 * recompute, never taken on the coordinator's word:
 * - the weights, downloaded as the signed-in researcher or approved provider and checked against their CID, the
 *   `modelHash` TrainingJobs anchored for the last round, and the spec (whose hash is the job's `modelSpecHash`);
 * - ε per dataset from the job's ledger, after the ledger was audited against the chain (roots, update signatures,
 *   payouts: `verifyLedger`, blobs skipped); a ledger that disagrees with the chain is refused;
 * - the accuracy and loss of the final model on the validation set the job was scored on (published once the job
 *   completed), evaluated here with model-runtime; null when the job had none.
 */
export async function buildModelMetadata(input: {
  readonly coordinator: CoordinatorClient;
  readonly chain: JobChain;
  readonly jobId: JobId;
}): Promise<{ metadata: ModelMetadata; model: JobModel }> {
  const { coordinator, chain, jobId } = input;
  const model = await downloadJobModel({ coordinator, jobId, chain, which: "last" });
  const ledger = await fetchLedger(coordinator.url, jobId);
  const audit = await verifyLedger({
    ledger,
    provider: chain.provider,
    trainingJobs: chain.trainingJobs,
    blobsSkippedBecause: "model register reads ε from the leaves; the blobs are not needed",
  });
  if (!audit.ok) {
    const first = audit.disagreements[0];
    throw new RefusedError(
      "LEDGER_DISAGREES",
      `the coordinator's ledger of job ${jobId} disagrees with the chain in ${audit.disagreements.length} place(s) (first: ${first?.message}): its ε cannot be listed; run tributary ledger verify`,
      { disagreements: audit.disagreements.length },
    );
  }
  const { scoring } = model.spec;
  let validation: ModelMetadata["validation"] = null;
  if (scoring.method !== "examples") {
    const set = await fetchValidationSet(coordinator.url, scoring.validationSetCid, jobId, coordinator.token ?? "");
    // Any backend evaluates it; a command's output (one JSON line with --json) must not carry the backend's log.
    await ensureModelBackend({ log: () => {} });
    const evaluator = await createValidationEvaluator(model.spec.model, set);
    try {
      const score = await evaluator.evaluate(model.weights);
      if (!Number.isFinite(score.loss)) {
        throw new RefusedError(
          "MODEL_NOT_EVALUABLE",
          `job ${jobId}'s final model has a ${score.loss} loss on its validation set ${scoring.validationSetCid}: not listing a model whose outputs are not finite`,
        );
      }
      validation = {
        validationSetCid: scoring.validationSetCid,
        examples: score.examples,
        accuracy: score.accuracy,
        loss: score.loss,
      };
    } finally {
      evaluator.dispose();
    }
  }
  const metadata: ModelMetadata = {
    version: 1,
    chainId: Number(chain.chainId),
    trainingJobs: chain.trainingJobs.toLowerCase() as ModelMetadata["trainingJobs"],
    jobId,
    modelHash: model.sha256 as ModelMetadata["modelHash"],
    modelCid: model.modelCid as ModelMetadata["modelCid"],
    parameters: model.weights.length,
    task: modelTask(model.spec.model),
    jobSpec: model.spec,
    validation,
    privacy: epsilonByDataset(ledger, model.spec.datasetIds),
  };
  return { metadata, model };
}
