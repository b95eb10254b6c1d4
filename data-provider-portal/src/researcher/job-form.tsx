import { FEDAVG_CNN, MLP_784_200_200_10, type PreparedJobSpec } from "@tributary/protocol";
import { formatEther, parseEther } from "ethers";
import { type ChangeEvent, type FormEvent, useId, useState } from "react";
import { Empty, ErrorMessage } from "../ui/status.js";
import { AdvancedJobFields, type FieldKit, type TextField } from "./advanced-job-fields.js";
import {
  checkDraft,
  choiceOf,
  type DraftField,
  type JobDraft,
  type RegistryDataset,
  rewardNeeded,
  specDefault,
  UNIONS,
} from "./job-draft.js";

const PRESETS = {
  "MLP 784-200-200-10": MLP_784_200_200_10,
  "FedAvg CNN (28×28×1)": FEDAVG_CNN,
} as const;

/** The first option of a union: the schema's default for the strategy (fedavg) and DP (off). */
const firstOption = (key: "strategy" | "dp") => UNIONS[key].variants[0]?.name ?? "";

/** The schema's defaults wherever it has one (the advanced fields); rounds and learning rate as examples. */
const INITIAL_DRAFT: JobDraft = {
  name: "",
  model: JSON.stringify(MLP_784_200_200_10, null, 2),
  rounds: "3",
  learningRate: "0.1",
  localEpochs: specDefault("localEpochs"),
  batchSize: specDefault("batchSize"),
  minTrainers: "",
  maxTrainers: specDefault("clients.max"),
  clientFraction: specDefault("clients.fraction"),
  datasetIds: [],
  reward: "",
  strategy: choiceOf("strategy", firstOption("strategy")),
  proximalMu: specDefault("proximalMu"),
  dp: choiceOf("dp", firstOption("dp")),
  scoring: choiceOf("scoring", ""),
  learningRateSchedule: choiceOf("learningRateSchedule", ""),
  secureAggregation: choiceOf("secureAggregation", ""),
  roundTimeoutS: specDefault("roundTimeoutS"),
  maxUpdateNorm: specDefault("maxUpdateNorm"),
  auditors: "",
};

/** Fields shown in the main part of the form; a problem anywhere else opens the advanced part. */
const BASIC_FIELDS: ReadonlySet<DraftField> = new Set<DraftField>([
  "name",
  "model",
  "rounds",
  "learningRate",
  "localEpochs",
  "batchSize",
  "minTrainers",
  "datasetIds",
  "validationSet",
  "rootDataset",
  "reward",
  "form",
]);

/** What the form hands on once every check passed: the prepared spec and the reward in base units. */
export interface JobRequest {
  readonly prepared: PreparedJobSpec;
  readonly reward: bigint;
}

/** A file the researcher picked, read whole (it is checked against the model before anything is uploaded). */
interface PickedFile {
  readonly name: string;
  readonly bytes: Uint8Array;
}

/** A file input's change handler that reads the picked file into `set` ("reading" meanwhile). */
function pick(set: (file: PickedFile | "reading" | undefined) => void) {
  return async (event: ChangeEvent<HTMLInputElement>) => {
    const picked = event.target.files?.[0];
    if (picked === undefined) return set(undefined);
    set("reading");
    set({ name: picked.name, bytes: new Uint8Array(await picked.arrayBuffer()) });
  };
}

/** A reward typed in TRIB, or the problem with it. */
function parseReward(text: string): bigint | string {
  try {
    const value = parseEther(text.trim());
    return value > 0n ? value : "must be more than zero";
  } catch {
    return "must be an amount of TRIB such as 100 or 12.5";
  }
}

/**
 * The researcher's JobSpec form: each input labelled, each problem (protocol's JobSpec schema, the validation set
 * checked against the model, the reward against the chosen datasets' prices) shown beside its input, and nothing
 * submitted until all pass.
 */
export function JobForm({
  datasets,
  busy,
  onSubmit,
}: {
  datasets: readonly RegistryDataset[];
  busy: boolean;
  onSubmit(request: JobRequest): void;
}) {
  const id = useId();
  const [draft, setDraft] = useState<JobDraft>(INITIAL_DRAFT);
  const [file, setFile] = useState<PickedFile | "reading">();
  const [root, setRoot] = useState<PickedFile | "reading">();
  const [errors, setErrors] = useState<Partial<Record<DraftField, string>>>({});
  const [advanced, setAdvanced] = useState(false);
  const set = (field: TextField) => (value: string) => setDraft((old) => ({ ...old, [field]: value }));
  const rounds = Number(draft.rounds);
  const needed = Number.isInteger(rounds) && rounds > 0 ? rewardNeeded(datasets, draft.datasetIds, rounds) : undefined;

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (file === "reading" || root === "reading") {
      const field = file === "reading" ? "validationSet" : "rootDataset";
      setErrors({ [field]: "The file is still being read: submit again in a moment" });
      return;
    }
    const checked = checkDraft(draft, file?.bytes, root?.bytes);
    const found: Partial<Record<DraftField, string>> = checked.ok ? {} : { ...checked.errors };
    const reward = parseReward(draft.reward);
    if (typeof reward === "string") found.reward = `Reward ${reward}`;
    else if (needed !== undefined && reward < needed) {
      found.reward = `Reward ${formatEther(reward)} TRIB does not cover what the chosen datasets ask: Σ price per round × ${rounds} rounds = ${formatEther(needed)} TRIB`;
    }
    setErrors(found);
    if (Object.keys(found).some((name) => !BASIC_FIELDS.has(name as DraftField))) setAdvanced(true);
    if (checked.ok && typeof reward !== "string" && Object.keys(found).length === 0) {
      onSubmit({ prepared: checked.prepared, reward });
    }
  };

  const field = (name: DraftField) => ({
    "aria-invalid": errors[name] === undefined ? undefined : (true as const),
    "aria-describedby": errors[name] === undefined ? undefined : `${id}-${name}-error`,
  });
  const problem = (name: DraftField) =>
    errors[name] === undefined ? null : (
      <p className="field-error" id={`${id}-${name}-error`}>
        {errors[name]}
      </p>
    );
  const text = (name: TextField, label: string, hint?: string, inputMode?: "decimal" | "numeric") => (
    <div className="field">
      <label htmlFor={`${id}-${name}`}>{label}</label>
      <input
        id={`${id}-${name}`}
        value={draft[name]}
        inputMode={inputMode}
        onChange={(event) => set(name)(event.target.value)}
        {...field(name)}
      />
      {hint === undefined ? null : <span className="hint">{hint}</span>}
      {problem(name)}
    </div>
  );

  const kit: FieldKit = { id, draft, update: setDraft, field, problem, text };

  return (
    <form className="job-form" onSubmit={submit} noValidate aria-labelledby={`${id}-heading`}>
      <h2 id={`${id}-heading`}>Create a job</h2>
      {text("name", "Job name")}
      <div className="field">
        <label htmlFor={`${id}-preset`}>Model preset</label>
        <select
          id={`${id}-preset`}
          defaultValue=""
          onChange={(event) => {
            const preset = PRESETS[event.target.value as keyof typeof PRESETS];
            if (preset !== undefined) set("model")(JSON.stringify(preset, null, 2));
          }}
        >
          <option value="" disabled>
            choose a preset to fill the model…
          </option>
          {Object.keys(PRESETS).map((name) => (
            <option key={name}>{name}</option>
          ))}
        </select>
      </div>
      <div className="field">
        <label htmlFor={`${id}-model`}>Model (ModelSpec JSON)</label>
        <textarea
          id={`${id}-model`}
          rows={8}
          spellCheck={false}
          className="mono"
          value={draft.model}
          onChange={(event) => set("model")(event.target.value)}
          {...field("model")}
        />
        {problem("model")}
      </div>
      <div className="field-row">
        {text("rounds", "Rounds", undefined, "numeric")}
        {text("learningRate", "Learning rate", undefined, "decimal")}
        {text("localEpochs", "Local epochs", undefined, "numeric")}
        {text("batchSize", "Batch size", undefined, "numeric")}
        {text("minTrainers", "Trainers per round (minimum)", "empty: 1", "numeric")}
      </div>
      <fieldset {...field("datasetIds")}>
        <legend>Datasets on DatasetRegistry</legend>
        {datasets.length === 0 ? (
          <Empty>DatasetRegistry lists no dataset yet: a job needs at least one.</Empty>
        ) : (
          <table className="datasets">
            <thead>
              <tr>
                <th scope="col">Use</th>
                <th scope="col">Dataset</th>
                <th scope="col">Price per round</th>
                <th scope="col">ε budget</th>
                <th scope="col">Owner</th>
              </tr>
            </thead>
            <tbody>
              {datasets.map((dataset) => (
                <tr key={dataset.id}>
                  <td>
                    <input
                      type="checkbox"
                      id={`${id}-dataset-${dataset.id}`}
                      disabled={!dataset.active}
                      checked={draft.datasetIds.includes(dataset.id)}
                      onChange={(event) =>
                        setDraft((old) => ({
                          ...old,
                          datasetIds: event.target.checked
                            ? [...old.datasetIds, dataset.id]
                            : old.datasetIds.filter((one) => one !== dataset.id),
                        }))
                      }
                    />
                  </td>
                  <td>
                    <label htmlFor={`${id}-dataset-${dataset.id}`}>
                      Dataset {dataset.id}
                      {dataset.active ? "" : " (deactivated)"}
                    </label>
                  </td>
                  <td>{formatEther(dataset.pricePerRound)} TRIB</td>
                  <td>
                    ε = {dataset.epsilon}, δ = {dataset.delta}
                  </td>
                  <td className="mono">{dataset.owner}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        {problem("datasetIds")}
      </fieldset>
      <div className="field">
        <label htmlFor={`${id}-validation`}>Validation set (held-out examples each round is scored on)</label>
        <input id={`${id}-validation`} type="file" onChange={pick(setFile)} {...field("validationSet")} />
        {file === undefined || file === "reading" ? null : (
          <span data-testid="validation-picked">
            {file.name}: {file.bytes.byteLength} bytes read
          </span>
        )}
        <span className="hint">
          The file `tributary job validation-set` writes; uploaded to the coordinator. Scored by GTG-Shapley on it
          unless the scoring method below says leave-one-out; none: scored by examples.
        </span>
        {problem("validationSet")}
      </div>
      {draft.strategy.option === "fltrust" ? (
        <div className="field">
          <label htmlFor={`${id}-root`}>Root dataset (FLTrust: the coordinator's own clean examples)</label>
          <input id={`${id}-root`} type="file" onChange={pick(setRoot)} {...field("rootDataset")} />
          {root === undefined || root === "reading" ? null : (
            <span data-testid="root-picked">
              {root.name}: {root.bytes.byteLength} bytes read
            </span>
          )}
          <span className="hint">
            A labelled set in the validation set's format, separate from it (a few hundred examples); uploaded to the
            coordinator, which trains its own update on it each round and trusts each trainer's update by its agreement
            with that one.
          </span>
          {problem("rootDataset")}
        </div>
      ) : null}
      <details className="advanced" open={advanced} onToggle={(event) => setAdvanced(event.currentTarget.open)}>
        <summary>
          Advanced: aggregation, secure aggregation, differential privacy, scoring, learning-rate schedule, auditors
        </summary>
        <AdvancedJobFields kit={kit} datasets={datasets} />
      </details>
      {text("reward", "Reward (TRIB, escrowed on TrainingJobs)", undefined, "decimal")}
      <p data-testid="reward-needed">
        The chosen datasets ask {needed === undefined ? "—" : <strong>{formatEther(needed)} TRIB</strong>} (Σ price per
        round × rounds).
      </p>
      {errors.form === undefined ? null : <ErrorMessage>{errors.form}</ErrorMessage>}
      <button type="submit" disabled={busy}>
        Create the job
      </button>
    </form>
  );
}
