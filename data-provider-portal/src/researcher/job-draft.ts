import {
  type DatasetId,
  InvalidInputError,
  type PreparedJobSpec,
  prepareJobSpec,
  TributaryError,
} from "@tributary/protocol";

/** What the researcher typed in the job form, as text (the form's inputs). */
export interface JobDraft {
  readonly name: string;
  /** The model as a ModelSpec in JSON (a preset, or edited). */
  readonly model: string;
  readonly rounds: string;
  readonly learningRate: string;
  readonly localEpochs: string;
  readonly batchSize: string;
  /** How many of the chosen datasets' trainers each round waits for (clients.min). */
  readonly minTrainers: string;
  readonly datasetIds: readonly string[];
  /** The reward to escrow, in tokens (e.g. `12.5`). */
  readonly reward: string;
}

/** Which input a problem belongs to (the form shows it beside that input); `form` when none fits. */
export type DraftField = keyof JobDraft | "validationSet" | "form";

export type DraftCheck =
  | { readonly ok: true; readonly prepared: PreparedJobSpec }
  | { readonly ok: false; readonly errors: Partial<Record<DraftField, string>> };

/** A number typed in a field: the text as a number, or the text itself so the schema names what is wrong. */
function numberOf(text: string): unknown {
  const trimmed = text.trim();
  if (trimmed === "") return undefined;
  const value = Number(trimmed);
  return Number.isFinite(value) ? value : trimmed;
}

/** The form's field for a path of protocol's `InvalidInputError` (`JobSpec.clients.min`, `ValidationSet.labels[3]`). */
function fieldOfPath(path: string): DraftField {
  if (path.startsWith("ValidationSet") || path.startsWith("JobSpec.scoring")) return "validationSet";
  const key = path.replace(/^JobSpec\.?/, "").split(/[.[]/)[0] ?? "";
  if (key === "clients") return "minTrainers";
  if (key === "model" || key === "name" || key === "rounds" || key === "learningRate") return key;
  if (key === "localEpochs" || key === "batchSize" || key === "datasetIds") return key;
  return "form";
}

/**
 * Checks the draft with protocol's `prepareJobSpec` (the JobSpec zod schema, the model's layout, the validation set
 * against the model), exactly as `tributary job create` checks a spec file: every problem is put beside the input
 * it names. The validation set, when given, makes the job scored by GTG-Shapley on it.
 */
export function checkDraft(draft: JobDraft, validationSet: Uint8Array | undefined): DraftCheck {
  let model: unknown;
  try {
    model = JSON.parse(draft.model);
  } catch (error) {
    return { ok: false, errors: { model: `is not JSON: ${(error as Error).message}` } };
  }
  const minTrainers = numberOf(draft.minTrainers);
  const spec = {
    name: draft.name.trim(),
    model,
    datasetIds: [...draft.datasetIds],
    rounds: numberOf(draft.rounds),
    learningRate: numberOf(draft.learningRate),
    localEpochs: numberOf(draft.localEpochs),
    batchSize: numberOf(draft.batchSize),
    ...(minTrainers === undefined ? {} : { clients: { min: minTrainers, max: 1000 } }),
  };
  try {
    return { ok: true, prepared: prepareJobSpec({ spec, validationSet }) };
  } catch (error) {
    if (error instanceof InvalidInputError) {
      const errors: Partial<Record<DraftField, string>> = {};
      for (const issue of error.issues) {
        const field = fieldOfPath(issue.path);
        const text = `${issue.path}: ${issue.message}`;
        errors[field] = errors[field] === undefined ? text : `${errors[field]}; ${text}`;
      }
      return { ok: false, errors };
    }
    if (error instanceof TributaryError) return { ok: false, errors: { validationSet: error.message } };
    throw error;
  }
}

/** A dataset as DatasetRegistry lists it, with what the form shows. */
export interface RegistryDataset {
  readonly id: DatasetId;
  readonly owner: string;
  readonly active: boolean;
  /** In the payment token's base units. */
  readonly pricePerRound: bigint;
  /** ε budget (DatasetRegistry stores it scaled by 1e18). */
  readonly epsilon: number;
  readonly delta: number;
}

/** What the chosen datasets ask for a job of `rounds` rounds: Σ pricePerRound × rounds (TrainingJobs' rule). */
export function rewardNeeded(datasets: readonly RegistryDataset[], chosen: readonly string[], rounds: number): bigint {
  let owed = 0n;
  for (const id of chosen) {
    const dataset = datasets.find((one) => one.id === id);
    if (dataset !== undefined) owed += dataset.pricePerRound * BigInt(rounds);
  }
  return owed;
}
