import { TributaryError } from "@tributary/protocol";

/** A privacy parameter (σ, q, δ, ε, steps, a clip norm, …) is outside its meaningful range. */
export class InvalidPrivacyParameterError extends TributaryError {
  /** Name of the offending parameter as the API spells it, e.g. `noiseMultiplier`. */
  readonly parameter: string;

  constructor(parameter: string, value: unknown, requirement: string) {
    super("INVALID_PRIVACY_PARAMETER", `${parameter} ${requirement} (got ${String(value)})`, {
      details: { parameter, value, requirement },
    });
    this.parameter = parameter;
  }
}

/**
 * A request would spend more of a dataset's privacy budget than its owner allowed. Thrown before any noise is
 * drawn or any data is read, so a refused request leaves no trace in the ledger or the data.
 */
export class PrivacyBudgetExceededError extends TributaryError {
  constructor(
    datasetId: string,
    budget: { readonly epsilon: number; readonly delta: number },
    wouldSpend: { readonly epsilon: number; readonly delta: number },
  ) {
    super(
      "PRIVACY_BUDGET_EXCEEDED",
      `privacy budget of dataset ${datasetId} exceeded: would spend (ε=${wouldSpend.epsilon}, δ=${wouldSpend.delta}) ` +
        `of (ε=${budget.epsilon}, δ=${budget.delta})`,
      { details: { datasetId, budget, wouldSpend } },
    );
  }
}

/** A dataset id the ledger does not know: its owner never registered a budget, so nothing may be spent. */
export class UnknownDatasetBudgetError extends TributaryError {
  constructor(datasetId: string) {
    super("UNKNOWN_DATASET_BUDGET", `no privacy budget registered for dataset ${datasetId}`, {
      details: { datasetId },
    });
  }
}
