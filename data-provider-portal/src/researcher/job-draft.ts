import {
  type DatasetId,
  DpSpecSchema,
  decodeValidationSet,
  InvalidInputError,
  JobSpecSchema,
  LearningRateScheduleSchema,
  type PreparedJobSpec,
  prepareJobSpec,
  ScoringSpecSchema,
  StrategySpecSchema,
  TributaryError,
} from "@tributary/protocol";
import { type NumberParameter, numberParameters, type SchemaUnion, variantsOf } from "./schema-options.js";

/** An option of one of protocol's unions (a strategy, a DP mode…) and the numbers typed for it, by parameter key. */
export interface DraftChoice {
  /** The option's name; `""` for the schema's absence (scoring as the CLI decides, no learning-rate schedule). */
  readonly option: string;
  readonly values: Readonly<Record<string, string>>;
}

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
  /** clients.max and clients.fraction. */
  readonly maxTrainers: string;
  readonly clientFraction: string;
  readonly datasetIds: readonly string[];
  /** The reward to escrow, in tokens (e.g. `12.5`). */
  readonly reward: string;
  readonly strategy: DraftChoice;
  /** FedProx's μ. */
  readonly proximalMu: string;
  readonly dp: DraftChoice;
  readonly scoring: DraftChoice;
  readonly learningRateSchedule: DraftChoice;
  /** `option` is `"on"` or `""` (off); `values` by key inside `secureAggregation` (`quantisation.clip`). */
  readonly secureAggregation: DraftChoice;
  readonly roundTimeoutS: string;
  readonly maxUpdateNorm: string;
  /** Auditors' addresses, separated by spaces, commas or lines. */
  readonly auditors: string;
}

/** The inputs that choose an option of a protocol union, and secure aggregation's switch. */
export type ChoiceKey = "strategy" | "dp" | "scoring" | "learningRateSchedule" | "secureAggregation";
type UnionKey = Exclude<ChoiceKey, "secureAggregation">;

/** Which input a problem belongs to (the form shows it beside that input); `form` when none fits. */
export type DraftField = keyof JobDraft | `${ChoiceKey}.${string}` | "validationSet" | "rootDataset" | "form";

export type DraftCheck =
  | { readonly ok: true; readonly prepared: PreparedJobSpec }
  | { readonly ok: false; readonly errors: Partial<Record<DraftField, string>> };

/** The options the form offers, read from protocol's schemas (a strategy added there appears here). */
export const UNIONS: Readonly<Record<UnionKey, SchemaUnion>> = {
  strategy: variantsOf(StrategySpecSchema),
  dp: variantsOf(DpSpecSchema),
  scoring: variantsOf(ScoringSpecSchema),
  learningRateSchedule: variantsOf(LearningRateScheduleSchema),
};

/** The JobSpec's top-level numbers (`roundTimeoutS`, `clients.min`, `secureAggregation.threshold`…) by key. */
const SPEC_NUMBERS = new Map(numberParameters(JobSpecSchema.shape).map((parameter) => [parameter.key, parameter]));

/** The numbers secure aggregation takes, keyed inside `secureAggregation`. */
const SECURE_AGGREGATION_PARAMETERS: readonly NumberParameter[] = [...SPEC_NUMBERS.values()]
  .filter((parameter) => parameter.key.startsWith("secureAggregation."))
  .map((parameter) => ({ ...parameter, key: parameter.key.slice("secureAggregation.".length) }));

/** The text a number input starts with: the schema's default, or empty. */
function defaultText(parameter: NumberParameter | undefined): string {
  return parameter?.defaultValue === undefined ? "" : String(parameter.defaultValue);
}

/** The JobSpec schema's default of a top-level number (`roundTimeoutS` → "300"), or empty. */
export function specDefault(key: string): string {
  return defaultText(SPEC_NUMBERS.get(key));
}

/** The parameters the draft's choice takes (none for an option the schema does not know, or `""`). */
export function parametersOf(key: ChoiceKey, option: string): readonly NumberParameter[] {
  if (key === "secureAggregation") return option === "" ? [] : SECURE_AGGREGATION_PARAMETERS;
  return UNIONS[key].variants.find((variant) => variant.name === option)?.parameters ?? [];
}

/** A choice of `option` with its inputs at the schema's defaults. */
export function choiceOf(key: ChoiceKey, option: string): DraftChoice {
  const values: Record<string, string> = {};
  for (const parameter of parametersOf(key, option)) values[parameter.key] = defaultText(parameter);
  return { option, values };
}

/** A number typed in a field: the text as a number, or the text itself so the schema names what is wrong. */
function numberOf(text: string): unknown {
  const trimmed = text.trim();
  if (trimmed === "") return undefined;
  const value = Number(trimmed);
  return Number.isFinite(value) ? value : trimmed;
}

/**
 * Sets `value` at the dotted `key` of `target`, creating the objects on the way even when `value` is `undefined`
 * (left out), so the schema names the missing number itself (`quantisation.clip`), not its object.
 */
function setAt(target: Record<string, unknown>, key: string, value: unknown): void {
  const parts = key.split(".");
  let at = target;
  for (const part of parts.slice(0, -1)) {
    at[part] ??= {};
    at = at[part] as Record<string, unknown>;
  }
  if (value !== undefined) at[parts[parts.length - 1] as string] = value;
}

/** The numbers typed for a choice, as the object the schema reads (empty inputs left out: the schema's default). */
function valuesOf(key: ChoiceKey, choice: DraftChoice, into: Record<string, unknown>): Record<string, unknown> {
  for (const parameter of parametersOf(key, choice.option)) {
    setAt(into, parameter.key, numberOf(choice.values[parameter.key] ?? ""));
  }
  return into;
}

/** The choice as the JobSpec's value; `undefined` for none. */
function specOfChoice(key: UnionKey, choice: DraftChoice): unknown {
  if (choice.option === "") return undefined;
  return valuesOf(key, choice, { [UNIONS[key].discriminator]: choice.option });
}

const SIMPLE_FIELDS: ReadonlySet<string> = new Set<keyof JobDraft>([
  "model",
  "name",
  "rounds",
  "learningRate",
  "localEpochs",
  "batchSize",
  "datasetIds",
  "proximalMu",
  "roundTimeoutS",
  "maxUpdateNorm",
  "auditors",
]);
const CHOICE_KEYS: ReadonlySet<string> = new Set<ChoiceKey>([
  "strategy",
  "dp",
  "scoring",
  "learningRateSchedule",
  "secureAggregation",
]);
const CLIENT_FIELDS: Readonly<Record<string, DraftField>> = { fraction: "clientFraction", max: "maxTrainers" };

/**
 * The form's field for a path of protocol's `InvalidInputError` (`JobSpec.clients.min`, `JobSpec.dp.delta`,
 * `ValidationSet.labels[3]`): a parameter's own input when the draft shows it, else the input choosing the option.
 */
function fieldOfPath(path: string, draft: JobDraft, what: unknown): DraftField {
  const rest = path.replace(/^JobSpec\.?/, "").replace(/\[\d+\]/g, "");
  if (what === "root dataset" || rest === "strategy.rootDatasetCid") return "rootDataset";
  if (path.startsWith("ValidationSet") || rest === "scoring.validationSetCid") return "validationSet";
  const [head = "", ...tail] = rest.split(".");
  if (head === "clients") return CLIENT_FIELDS[tail[0] ?? ""] ?? "minTrainers";
  if (SIMPLE_FIELDS.has(head)) return head as keyof JobDraft;
  if (CHOICE_KEYS.has(head)) {
    const key = head as ChoiceKey;
    const inner = tail.join(".");
    return parametersOf(key, draft[key].option).some((parameter) => parameter.key === inner) ? `${key}.${inner}` : key;
  }
  return "form";
}

/** The JobSpec JSON the draft stands for, as a researcher would write it for `tributary job create`. */
function specOfDraft(draft: JobDraft, model: unknown): Record<string, unknown> {
  const clients: Record<string, unknown> = {};
  for (const [key, text] of [
    ["fraction", draft.clientFraction],
    ["min", draft.minTrainers],
    ["max", draft.maxTrainers],
  ] as const) {
    const value = numberOf(text);
    if (value !== undefined) clients[key] = value;
  }
  const auditors = draft.auditors.split(/[\s,]+/).filter((one) => one !== "");
  const spec: Record<string, unknown> = {
    name: draft.name.trim(),
    model,
    datasetIds: [...draft.datasetIds],
    rounds: numberOf(draft.rounds),
    learningRate: numberOf(draft.learningRate),
    localEpochs: numberOf(draft.localEpochs),
    batchSize: numberOf(draft.batchSize),
    clients,
    strategy: specOfChoice("strategy", draft.strategy),
    proximalMu: numberOf(draft.proximalMu),
    dp: specOfChoice("dp", draft.dp),
    scoring: specOfChoice("scoring", draft.scoring),
    learningRateSchedule: specOfChoice("learningRateSchedule", draft.learningRateSchedule),
    secureAggregation:
      draft.secureAggregation.option === "" ? undefined : valuesOf("secureAggregation", draft.secureAggregation, {}),
    roundTimeoutS: numberOf(draft.roundTimeoutS),
    maxUpdateNorm: numberOf(draft.maxUpdateNorm),
    auditors: auditors.length === 0 ? undefined : auditors,
  };
  for (const key of Object.keys(spec)) if (spec[key] === undefined) delete spec[key];
  return spec;
}

/**
 * Checks the draft with protocol's `prepareJobSpec` (the JobSpec zod schema, the model's layout, the validation set
 * against the model), exactly as `tributary job create` checks a spec file: every problem is put beside the input
 * it names. A validation set without a chosen scoring makes the job scored by GTG-Shapley on it, as in the CLI.
 */
export function checkDraft(
  draft: JobDraft,
  validationSet: Uint8Array | undefined,
  rootDataset?: Uint8Array | undefined,
): DraftCheck {
  let model: unknown;
  try {
    model = JSON.parse(draft.model);
  } catch (error) {
    return { ok: false, errors: { model: `is not JSON: ${(error as Error).message}` } };
  }
  try {
    // FLTrust's root dataset counts only while FLTrust is the chosen strategy (a file picked before switching away
    // is left out, not refused).
    const root = draft.strategy.option === "fltrust" ? rootDataset : undefined;
    if (root !== undefined) {
      try {
        decodeValidationSet(root);
      } catch (error) {
        return { ok: false, errors: { rootDataset: `is not a labelled set: ${(error as Error).message}` } };
      }
    }
    return {
      ok: true,
      prepared: prepareJobSpec({ spec: specOfDraft(draft, model), validationSet, rootDataset: root }),
    };
  } catch (error) {
    if (error instanceof InvalidInputError) {
      const errors: Partial<Record<DraftField, string>> = {};
      for (const issue of error.issues) {
        const field = fieldOfPath(issue.path, draft, error.details.what);
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
