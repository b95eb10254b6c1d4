import {
  type Bytes32,
  bytesToWeights,
  INFERENCE_HEADERS,
  InferenceBinaryHeadersSchema,
  parseInput,
  type SignedVoucher,
} from "@tributary/protocol";
import { InferenceInputError } from "./input-tensor.js";

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** A prediction request as the provider serves it, whichever format it came in. */
export interface PredictRequest {
  readonly requestId: Bytes32;
  /** `count` examples, packed row-major, float32. */
  readonly input: Float32Array;
  readonly count: number;
  readonly payment: SignedVoucher | undefined;
}

/** `inputs[2][17]` for the flat index of a value in examples of `inputShape`. */
function pathOf(flat: number, inputShape: readonly number[]): string {
  const indices: number[] = [];
  let rest = flat;
  for (let axis = inputShape.length - 1; axis >= 0; axis--) {
    const size = inputShape[axis] as number;
    indices.unshift(rest % size);
    rest = Math.floor(rest / size);
  }
  return `inputs[${rest}]${indices.map((index) => `[${index}]`).join("")}`;
}

/**
 * A binary request (`INFERENCE_HEADERS` and a body of little-endian float32): the headers parsed with protocol's
 * schema; the shape header must be the number of examples (at most `maxExamples`) followed by the model's input
 * shape, and the body exactly that many float32 values, every one finite. Each refusal says what was wrong and
 * where, e.g. `inputs[3][17] is NaN`. The values are read from the body in place when they are aligned, else copied.
 */
export function binaryInput(
  headers: unknown,
  body: Uint8Array,
  inputShape: readonly number[],
  maxExamples: number,
): PredictRequest {
  const parsed = parseInput(InferenceBinaryHeadersSchema, headers, "headers");
  const shape = parsed[INFERENCE_HEADERS.inputShape];
  const [count = 0, ...exampleShape] = shape;
  const expected = `[examples, ${inputShape.join(", ")}]`;
  if (exampleShape.length !== inputShape.length || exampleShape.some((size, axis) => size !== inputShape[axis])) {
    throw new InferenceInputError(
      "INPUT_SHAPE",
      `${INFERENCE_HEADERS.inputShape} is ${shape.join(",")}; the model takes ${expected} (its input shape per example is [${inputShape.join(", ")}])`,
      { shape, inputShape },
    );
  }
  if (count > maxExamples) {
    throw new InferenceInputError(
      "INPUT_TOO_LARGE",
      `${INFERENCE_HEADERS.inputShape} names ${count} examples; this provider takes at most ${maxExamples} per request`,
      { examples: count, maxExamples },
    );
  }
  const bytes = shape.reduce((product, size) => product * size, 4);
  if (body.byteLength !== bytes) {
    throw new InferenceInputError(
      "INPUT_SHAPE",
      `the body has ${body.byteLength} bytes; ${shape.join("×")} float32 values take ${bytes}`,
      { bytes: body.byteLength, expected: bytes, shape },
    );
  }
  // The body is this request's own buffer: read it in place where float32 can be (little-endian, aligned).
  const input =
    LITTLE_ENDIAN && body.byteOffset % 4 === 0
      ? new Float32Array(body.buffer, body.byteOffset, body.byteLength / 4)
      : bytesToWeights(body);
  // NaN and ±Infinity are the float32 values whose 8 exponent bits are all ones (read as integers: ~2× faster).
  const bits = new Uint32Array(input.buffer, input.byteOffset, input.length);
  for (let index = 0; index < bits.length; index++) {
    if (((bits[index] as number) & 0x7f800000) === 0x7f800000) {
      const value = input[index] as number;
      const path = pathOf(index, inputShape);
      throw new InferenceInputError(
        "INPUT_NOT_FINITE",
        `${path} is ${value}: every input value must be a finite number`,
        { path },
      );
    }
  }
  return { requestId: parsed[INFERENCE_HEADERS.requestId], input, count, payment: parsed[INFERENCE_HEADERS.payment] };
}
