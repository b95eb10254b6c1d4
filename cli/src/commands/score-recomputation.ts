import {
  fetchJobSpec,
  fetchValidationSet,
  RecomputeInputError,
  type RecomputeScoresOptions,
  TrainingJobsReader,
} from "@tributary/auditor";
import { createValidationEvaluator, initModelBackend } from "@tributary/model-runtime";
import type { JobLedger } from "@tributary/protocol";
import type { Provider } from "ethers";

/** What `ledger verify --recompute-scores` hands the auditor, and the model to free afterwards. */
export interface ScoreRecomputation {
  readonly options: RecomputeScoresOptions;
  /** The tfjs backend the validation loss runs on (`none` under `examples` scoring: nothing is evaluated). */
  readonly backend: string;
  dispose(): void;
}

/**
 * Prepares the recomputation of a job's scores: its JobSpec, read from the coordinator as `token`'s holder and
 * checked against the `modelSpecHash` TrainingJobs holds (the scoring method and the model come from it, not from
 * the ledger), and for validation-set scoring the published validation set with the spec's model built on the best
 * tfjs backend here. `undefined` when the chain knows no such job (the audit reports that on its own). `progress`
 * receives one-line notes (the backend chosen, each round recomputed). Throws `RecomputeInputError` when the spec
 * or the validation set is refused, e.g. before the job completes for anyone but the set's uploader.
 */
export async function prepareScoreRecomputation(input: {
  readonly coordinator: string;
  readonly provider: Provider;
  readonly trainingJobs: string;
  readonly ledger: JobLedger;
  readonly token: string | undefined;
  readonly progress: (line: string) => void;
}): Promise<ScoreRecomputation | undefined> {
  const { coordinator, ledger, token, progress } = input;
  if (token === undefined) {
    throw new RecomputeInputError(
      "--recompute-scores reads the job's spec, models and updates: set TRIBUTARY_AUDITOR_KEY or --keystore to the key of the job's researcher or of an auditor its spec names",
    );
  }
  const reader = await TrainingJobsReader.at(input.provider, input.trainingJobs);
  const job = await reader.job(BigInt(ledger.jobId));
  if (job === undefined) return undefined;
  const spec = await fetchJobSpec(coordinator, job.modelSpecHash, token);
  const onRound: RecomputeScoresOptions["onRound"] = ({ chainRound, leaves, evaluations }) =>
    progress(`recomputed the scores of round ${chainRound - 1}: ${leaves} leaves, ${evaluations} evaluations`);
  if (spec.strategy.name === "fltrust") {
    progress(
      `strategy fltrust: the leaves' rejected flags (updates given trust 0) are taken as anchored, not checked: they depend on the coordinator's own update, trained each round on root dataset ${spec.strategy.rootDatasetCid}, which the ledger does not publish`,
    );
  }
  const { scoring } = spec;
  if (scoring.method === "examples") {
    return { options: { scoring, onRound }, backend: "none", dispose: () => undefined };
  }
  const set = await fetchValidationSet(coordinator, scoring.validationSetCid, ledger.jobId, token);
  const backend = await initModelBackend({ log: progress });
  const evaluator = await createValidationEvaluator(spec.model, set);
  progress(`validation set ${scoring.validationSetCid}: ${set.count} examples; scoring by ${scoring.method}`);
  return {
    options: { scoring, onRound, validationLoss: async (weights) => (await evaluator.evaluate(weights)).loss },
    backend: backend.name,
    dispose: () => evaluator.dispose(),
  };
}
