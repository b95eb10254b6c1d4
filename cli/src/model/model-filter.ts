import { maxEpsilon } from "@tributary/protocol";
import { parseTokenAmount } from "../chain/spend.js";
import type { ListedModel } from "./model-catalogue.js";

/** What a buyer asks of a model (`model list` flags); a model must meet every criterion given. */
export interface ModelFilter {
  /** `classification`, `regression`, or words of the job's name (case-insensitive). */
  readonly task?: string | undefined;
  /** The least accuracy on the validation set, 0–1 (a model without one does not qualify). */
  readonly minAccuracy?: number | undefined;
  /** The most a licence may cost, in tokens of the model's payment token (e.g. `12.5`). */
  readonly maxPrice?: string | undefined;
  /** The most an inference token may cost, in tokens of the model's payment token. */
  readonly maxPricePerToken?: string | undefined;
  readonly minReputation?: bigint | undefined;
  /** The most ε any of its datasets spent (a model with a dataset trained without DP does not qualify). */
  readonly maxEpsilon?: number | undefined;
  /** Only models of this training job. */
  readonly job?: string | undefined;
  /** Deactivated models too (default: only those that sell licences). */
  readonly all?: boolean | undefined;
}

function matchesTask(model: ListedModel, task: string): boolean {
  const metadata = model.metadata;
  if (metadata === null) return false;
  const wanted = task.toLowerCase();
  return metadata.task === wanted || metadata.jobSpec.name.toLowerCase().includes(wanted);
}

/** Whether `model` meets every criterion of `filter`. Metrics come only from checked metadata. */
export function matchesFilter(model: ListedModel, filter: ModelFilter): boolean {
  if (filter.all !== true && !model.active) return false;
  if (filter.job !== undefined && model.jobId !== filter.job) return false;
  if (filter.task !== undefined && !matchesTask(model, filter.task)) return false;
  if (filter.minAccuracy !== undefined && !((model.metadata?.validation?.accuracy ?? -1) >= filter.minAccuracy)) {
    return false;
  }
  if (filter.maxEpsilon !== undefined) {
    const spent = model.metadata === null ? null : maxEpsilon(model.metadata);
    if (spent === null || spent > filter.maxEpsilon) return false;
  }
  if (filter.minReputation !== undefined && model.reputation < filter.minReputation) return false;
  if (
    filter.maxPrice !== undefined &&
    model.licencePrice > parseTokenAmount(filter.maxPrice, model.token, "--max-price")
  ) {
    return false;
  }
  if (
    filter.maxPricePerToken !== undefined &&
    model.pricePerToken > parseTokenAmount(filter.maxPricePerToken, model.token, "--max-price-per-token")
  ) {
    return false;
  }
  return true;
}
