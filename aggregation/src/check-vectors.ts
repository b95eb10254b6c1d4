import { AggregationInputError, InvalidUpdateError } from "./errors.js";

/**
 * Checks that `vectors` is a non-empty list of Float32Arrays of one length and returns that length. A vector
 * whose length differs from the first one's is an invalid update (reason "length").
 */
export function requireVectors(rule: string, vectors: ReadonlyArray<Float32Array>): number {
  if (!Array.isArray(vectors) || vectors.length === 0) {
    throw new AggregationInputError(`${rule}: needs at least one vector`, { rule, count: 0 });
  }
  const first = vectors[0];
  if (!(first instanceof Float32Array)) {
    throw new AggregationInputError(`${rule}: vector 0 is not a Float32Array`, { rule, update: 0 });
  }
  const length = first.length;
  vectors.forEach((vector, update) => {
    if (!(vector instanceof Float32Array)) {
      throw new AggregationInputError(`${rule}: vector ${update} is not a Float32Array`, { rule, update });
    }
    if (vector.length !== length) {
      throw new InvalidUpdateError(
        "length",
        `${rule}: vector ${update} has ${vector.length} values, vector 0 has ${length}`,
        { rule, update, expected: length, actual: vector.length },
      );
    }
  });
  return length;
}

/** Index of the first NaN or ±Infinity in `vector`, or -1. */
export function firstNonFinite(vector: Float32Array): number {
  for (let i = 0; i < vector.length; i++) {
    if (!Number.isFinite(vector[i])) return i;
  }
  return -1;
}

/** The error naming the first non-finite value among `vectors` (call once a kernel has seen one). */
export function nonFiniteError(rule: string, vectors: ReadonlyArray<Float32Array>): InvalidUpdateError {
  for (let update = 0; update < vectors.length; update++) {
    const vector = vectors[update] as Float32Array;
    const index = firstNonFinite(vector);
    if (index >= 0) {
      const value = vector[index];
      return new InvalidUpdateError("non-finite", `${rule}: vector ${update} has ${value} at index ${index}`, {
        rule,
        update,
        index,
        value: String(value),
      });
    }
  }
  return new InvalidUpdateError("non-finite", `${rule}: the inputs produced a non-finite value`, { rule });
}

/** Throws `InvalidUpdateError` naming the first NaN/±Infinity among `vectors`, if any. */
export function requireFinite(rule: string, vectors: ReadonlyArray<Float32Array>): void {
  if (vectors.some((vector) => firstNonFinite(vector) >= 0)) throw nonFiniteError(rule, vectors);
}

/** Throws unless `value` is an integer in [min, max]. */
export function requireInteger(rule: string, name: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new AggregationInputError(`${rule}: ${name} must be an integer in [${min}, ${max}], got ${value}`, {
      rule,
      [name]: value,
      min,
      max,
    });
  }
}
