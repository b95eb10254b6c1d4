import { TributaryError } from "@tributary/protocol";

/**
 * An input that does not fit the model (wrong shape, a value that is not a finite number, too many examples), two
 * vouchers, or a verifiable request to a model without a deterministic path.
 */
export class InferenceInputError extends TributaryError {
  constructor(
    code: "INPUT_SHAPE" | "INPUT_NOT_FINITE" | "INPUT_TOO_LARGE" | "PAYMENT_TWICE" | "VERIFIABLE_UNSUPPORTED",
    message: string,
    details = {},
  ) {
    super(code, message, { details });
  }
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (typeof value === "string") return `the string ${JSON.stringify(value.slice(0, 20))}`;
  return typeof value;
}

/**
 * Checks `inputs` (examples, each a nested array of `inputShape`) and copies them into one Float32Array, example
 * after example, row-major. Refuses more than `maxExamples` examples, a wrong length along any axis, and any value
 * that is not a finite number or does not fit in float32; each refusal names the first offending path, e.g.
 * `inputs[2][783]`. JSON has no NaN or Infinity, so a client's NaN arrives as null and is refused as such.
 */
export function inputTensor(
  inputs: readonly unknown[],
  inputShape: readonly number[],
  maxExamples: number,
): Float32Array {
  if (inputs.length > maxExamples) {
    throw new InferenceInputError(
      "INPUT_TOO_LARGE",
      `inputs has ${inputs.length} examples; this provider takes at most ${maxExamples} per request`,
      { examples: inputs.length, maxExamples },
    );
  }
  const featureSize = inputShape.reduce((product, size) => product * size, 1);
  const out = new Float32Array(inputs.length * featureSize);
  let offset = 0;
  const walk = (value: unknown, axis: number, path: string): void => {
    if (axis === inputShape.length) {
      if (typeof value !== "number" || !Number.isFinite(value)) {
        throw new InferenceInputError(
          "INPUT_NOT_FINITE",
          `${path} is ${describe(value)}: every input value must be a finite number (JSON has no NaN or Infinity)`,
          { path },
        );
      }
      const single = Math.fround(value);
      if (!Number.isFinite(single)) {
        throw new InferenceInputError("INPUT_NOT_FINITE", `${path} is ${value}, beyond the float32 range`, { path });
      }
      out[offset++] = single;
      return;
    }
    const expected = inputShape[axis] as number;
    if (!Array.isArray(value) || value.length !== expected) {
      throw new InferenceInputError(
        "INPUT_SHAPE",
        `${path} is ${describe(value)}, expected an array of ${expected} (the model's input shape is [${inputShape.join(", ")}] per example)`,
        { path, inputShape, axis },
      );
    }
    for (let index = 0; index < expected; index++) walk(value[index], axis + 1, `${path}[${index}]`);
  };
  for (const [index, example] of inputs.entries()) walk(example, 0, `inputs[${index}]`);
  return out;
}
