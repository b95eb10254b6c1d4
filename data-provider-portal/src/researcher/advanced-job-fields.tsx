import type { ReactNode } from "react";
import {
  type ChoiceKey,
  choiceOf,
  type DraftField,
  type JobDraft,
  parametersOf,
  type RegistryDataset,
  UNIONS,
} from "./job-draft.js";
import { optionLabel, parameterLabel } from "./option-labels.js";
import type { NumberParameter } from "./schema-options.js";

/** The JobDraft fields typed as plain text. */
export type TextField = { [K in keyof JobDraft]: JobDraft[K] extends string ? K : never }[keyof JobDraft];

/** What the job form lends its groups: ids, the invalid marks and problems by field, and its labelled text input. */
export interface FieldKit {
  readonly id: string;
  readonly draft: JobDraft;
  update(change: (old: JobDraft) => JobDraft): void;
  field(name: DraftField): { "aria-invalid": true | undefined; "aria-describedby": string | undefined };
  problem(name: DraftField): ReactNode;
  text(name: TextField, label: string, hint?: string, inputMode?: "decimal" | "numeric"): ReactNode;
}

/** A parameter's hint: the schema's bounds, integer or not, and what leaving it empty means. */
function hintOf(parameter: NumberParameter): string {
  const parts = [parameter.integer ? "integer" : "", parameter.bounds];
  if (parameter.defaultValue !== undefined) parts.push(`default ${parameter.defaultValue}`);
  else if (!parameter.required) parts.push("optional");
  return parts.filter((part) => part !== "").join("; ");
}

/** The number inputs of the option chosen for `choice`, each labelled, hinted and with its problem below it. */
function ParameterInputs({ kit, choice }: { kit: FieldKit; choice: ChoiceKey }) {
  const { option, values } = kit.draft[choice];
  const parameters = parametersOf(choice, option);
  if (parameters.length === 0) return null;
  return (
    <div className="field-row">
      {parameters.map((parameter) => {
        const name: DraftField = `${choice}.${parameter.key}`;
        const inputId = `${kit.id}-${name}`;
        return (
          <div className="field" key={name}>
            <label htmlFor={inputId}>{parameterLabel(choice, option, parameter.key)}</label>
            <input
              id={inputId}
              value={values[parameter.key] ?? ""}
              inputMode={parameter.integer ? "numeric" : "decimal"}
              onChange={(event) => {
                const value = event.target.value;
                kit.update((old) => ({
                  ...old,
                  [choice]: { option: old[choice].option, values: { ...old[choice].values, [parameter.key]: value } },
                }));
              }}
              {...kit.field(name)}
            />
            <span className="hint">{hintOf(parameter)}</span>
            {kit.problem(name)}
          </div>
        );
      })}
    </div>
  );
}

/** A select of a protocol union's options (`none` first when the spec may leave it out), then its parameters. */
function UnionChoice({
  kit,
  choice,
  label,
  none,
}: {
  kit: FieldKit;
  choice: Exclude<ChoiceKey, "secureAggregation">;
  label: string;
  none?: string;
}) {
  const selectId = `${kit.id}-${choice}`;
  return (
    <>
      <div className="field">
        <label htmlFor={selectId}>{label}</label>
        <select
          id={selectId}
          value={kit.draft[choice].option}
          onChange={(event) => {
            const option = event.target.value;
            kit.update((old) => ({ ...old, [choice]: choiceOf(choice, option) }));
          }}
          {...kit.field(choice)}
        >
          {none === undefined ? null : <option value="">{none}</option>}
          {UNIONS[choice].variants.map((variant) => (
            <option key={variant.name} value={variant.name}>
              {optionLabel(variant.name)}
            </option>
          ))}
        </select>
        {kit.problem(choice)}
      </div>
      <ParameterInputs kit={kit} choice={choice} />
    </>
  );
}

/**
 * What DP-SGD may spend of each chosen dataset: the spec's target ε at δ, against each dataset's ε/δ budget on
 * DatasetRegistry. (The accountant that turns σ, sampling and steps into ε lives in `privacy`, which the portal may
 * not import: the trainer's privacy guard computes and charges the real spend.)
 */
function PrivacySpend({ kit, datasets }: { kit: FieldKit; datasets: readonly RegistryDataset[] }) {
  const { option, values } = kit.draft.dp;
  const epsilon = Number(values.targetEpsilon);
  const delta = Number(values.delta);
  if (option !== "dp-sgd" || !(epsilon > 0) || !(delta > 0)) return null;
  const chosen = datasets.filter((dataset) => kit.draft.datasetIds.includes(dataset.id));
  const over = chosen.filter((dataset) => dataset.epsilon < epsilon || dataset.delta < delta);
  return (
    <p data-testid="dp-spend">
      The job targets ε = {epsilon} at δ = {delta} of each chosen dataset (its trainer's accountant charges what the
      noise, sampling and steps actually cost).
      {over.length === 0
        ? null
        : ` Beyond the budget of ${over.map((dataset) => `dataset ${dataset.id} (ε = ${dataset.epsilon}, δ = ${dataset.delta})`).join(", ")}: its trainer refuses every round the budget cannot pay for.`}
    </p>
  );
}

/** The fields a `tributary job create` spec file may set beyond the basics, grouped; each option from protocol. */
export function AdvancedJobFields({ kit, datasets }: { kit: FieldKit; datasets: readonly RegistryDataset[] }) {
  const secAgg = kit.draft.secureAggregation.option !== "";
  const secAggId = `${kit.id}-secureAggregation`;
  return (
    <>
      <fieldset>
        <legend>Aggregation</legend>
        <UnionChoice kit={kit} choice="strategy" label="Aggregation strategy" />
        <div className="field-row">
          {kit.text("proximalMu", "FedProx μ (proximal term)", "0: plain local SGD", "decimal")}
          {kit.text("maxUpdateNorm", "Largest update norm accepted (L2)", "empty: any", "decimal")}
          {kit.text("maxTrainers", "Trainers per round (maximum)", undefined, "numeric")}
          {kit.text("clientFraction", "Fraction of online trainers asked", "> 0, ≤ 1", "decimal")}
          {kit.text("roundTimeoutS", "Round timeout (seconds)", "then aggregates what arrived", "numeric")}
        </div>
      </fieldset>
      <fieldset>
        <legend>Secure aggregation</legend>
        <div className="field">
          <label htmlFor={secAggId} className="inline">
            <input
              id={secAggId}
              type="checkbox"
              checked={secAgg}
              onChange={(event) => {
                const on = event.target.checked;
                kit.update((old) => ({ ...old, secureAggregation: choiceOf("secureAggregation", on ? "on" : "") }));
              }}
              {...kit.field("secureAggregation")}
            />
            Secure aggregation (SecAgg+)
          </label>
          <span className="hint">
            The coordinator learns only each round's sum: FedAvg-family strategies, scored by examples.
          </span>
          {kit.problem("secureAggregation")}
        </div>
        <ParameterInputs kit={kit} choice="secureAggregation" />
      </fieldset>
      <fieldset>
        <legend>Differential privacy</legend>
        <UnionChoice kit={kit} choice="dp" label="Differential privacy" />
        <PrivacySpend kit={kit} datasets={datasets} />
      </fieldset>
      <fieldset>
        <legend>Scoring</legend>
        <UnionChoice
          kit={kit}
          choice="scoring"
          label="Scoring method"
          none="As the CLI: GTG-Shapley with a validation set, else examples"
        />
      </fieldset>
      <fieldset>
        <legend>Learning rate over the rounds</legend>
        <UnionChoice
          kit={kit}
          choice="learningRateSchedule"
          label="Learning-rate schedule"
          none="None: every round at the learning rate"
        />
      </fieldset>
      <div className="field">
        <label htmlFor={`${kit.id}-auditors`}>Auditors (addresses)</label>
        <textarea
          id={`${kit.id}-auditors`}
          rows={2}
          spellCheck={false}
          value={kit.draft.auditors}
          onChange={(event) => {
            const value = event.target.value;
            kit.update((old) => ({ ...old, auditors: value }));
          }}
          {...kit.field("auditors")}
        />
        <span className="hint">
          One per line (or separated by commas): they may read the job's updates, models and spec to audit it.
        </span>
        {kit.problem("auditors")}
      </div>
    </>
  );
}
