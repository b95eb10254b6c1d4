import { type ErrorDetails, TributaryError } from "@tributary/protocol";

/** What is wrong with an update. */
export type InvalidUpdateReason = "type" | "length" | "non-finite" | "norm" | "num-examples";

/**
 * An update (one trainer's vector, or its example count) cannot be aggregated: not a Float32Array, wrong length, a NaN or an
 * infinity at some index, a norm above the bound, or a bad example count. `details` names the update (its
 * position in the input, when there are several) and the offending index or value.
 */
export class InvalidUpdateError extends TributaryError {
  readonly reason: InvalidUpdateReason;

  constructor(reason: InvalidUpdateReason, message: string, details: ErrorDetails = {}) {
    super("INVALID_UPDATE", message, { details: { reason, ...details } });
    this.reason = reason;
  }
}

/**
 * A rule was called with parameters it cannot honour: no inputs, too many Byzantine inputs for its guarantee
 * (e.g. Krum needs n ≥ 2f + 3, Bulyan n ≥ 4f + 3), a trim that leaves nothing, a bad optimiser state.
 */
export class AggregationInputError extends TributaryError {
  constructor(message: string, details: ErrorDetails = {}) {
    super("AGGREGATION_INPUT_INVALID", message, { details });
  }
}
