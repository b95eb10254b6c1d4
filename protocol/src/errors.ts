/** Details attached to an error: what was wrong and where. Plain data, safe to serialise. */
export type ErrorDetails = Readonly<Record<string, unknown>>;

export interface TributaryErrorOptions {
  readonly details?: ErrorDetails;
  readonly cause?: unknown;
}

/**
 * Base of every error Tributary throws on purpose (like viem's `BaseError`): a short message, structured
 * details, and the cause. Each domain declares named subclasses; callers branch on `code`, not on text.
 */
export class TributaryError extends Error {
  /** Stable machine-readable identifier, e.g. `PRIVACY_BUDGET_EXCEEDED`. */
  readonly code: string;
  readonly details: ErrorDetails;

  constructor(code: string, message: string, options: TributaryErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.details = options.details ?? {};
  }
}
