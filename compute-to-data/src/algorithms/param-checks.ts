import { InvalidInputError } from "@tributary/protocol";
import { z } from "zod";
import type { DataShape } from "./c2d-algorithm.js";

function refuse(path: string, message: string): never {
  throw new InvalidInputError("params", [{ path, message }]);
}

/** A feature index the records have. */
export function checkFeature(index: number, shape: DataShape, path: string): void {
  if (index >= shape.featureSize)
    refuse(path, `the records have ${shape.featureSize} features (0 … ${shape.featureSize - 1})`);
}

/** A class the records have. */
export function checkLabel(label: number, shape: DataShape, path: string): void {
  if (label >= shape.numClasses)
    refuse(path, `the records have ${shape.numClasses} classes (0 … ${shape.numClasses - 1})`);
}

/** Clipping bounds: finite, lower below upper. */
export function checkBounds(lower: number, upper: number, path: string): void {
  if (!(lower < upper)) refuse(path, `lower (${lower}) must be below upper (${upper})`);
}

/** Finite clipping bounds as the researcher gives them, at most 2^40 in magnitude. */
export const BoundSchema = z
  .number()
  .min(-(2 ** 40))
  .max(2 ** 40);

/** Values strictly increasing. */
export function strictlyIncreasing(values: readonly number[]): boolean {
  return values.every((value, index) => index === 0 || value > (values[index - 1] as number));
}
