import { TributaryError } from "@tributary/protocol";

/** A flat parameter vector does not have the length the model's layout requires. */
export class WeightsLengthError extends TributaryError {
  constructor(expected: number, actual: number) {
    super("WEIGHTS_LENGTH", `flat weights have ${actual} floats, the model has ${expected} parameters`, {
      details: { expected, actual },
    });
  }
}

/**
 * Examples do not fit the model they are fed to: the number of features per example differs from the model's
 * input, a label names a class the model has no output for, or there are no examples at all.
 */
export class ModelInputError extends TributaryError {
  constructor(problem: string, details: Readonly<Record<string, unknown>> = {}) {
    super("MODEL_INPUT", problem, { details });
  }
}

/** No tfjs backend from the requested list could be initialised. */
export class BackendUnavailableError extends TributaryError {
  constructor(tried: readonly { name: string; reason: string }[]) {
    super(
      "BACKEND_UNAVAILABLE",
      `no tfjs backend could be initialised (${tried.map((t) => `${t.name}: ${t.reason}`).join("; ")})`,
      { details: { tried } },
    );
  }
}

/** `evaluate` was called on a validation evaluator after `dispose()`. */
export class EvaluatorDisposedError extends TributaryError {
  constructor() {
    super("EVALUATOR_DISPOSED", "this validation evaluator was disposed; create a new one");
  }
}
