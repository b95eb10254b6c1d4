import { InvalidPrivacyParameterError } from "./errors.js";

/**
 * Checks for the scalar parameters every public entry point takes. Each returns the value when it is valid and
 * otherwise throws `InvalidPrivacyParameterError` naming the parameter, so callers (the CLI, the trainer's
 * config) can report exactly which argument was wrong.
 */

/** Noise multiplier σ (noise standard deviation / L2 sensitivity): finite and >= 0. */
export function checkNoiseMultiplier(value: number, name = "noiseMultiplier"): number {
  if (!(Number.isFinite(value) && value >= 0)) throw new InvalidPrivacyParameterError(name, value, "must be >= 0");
  return value;
}

/** Poisson sampling rate q in (0, 1]. */
export function checkSampleRate(value: number, name = "sampleRate"): number {
  if (!(value > 0 && value <= 1)) throw new InvalidPrivacyParameterError(name, value, "must be in (0, 1]");
  return value;
}

/** δ in (0, 1). */
export function checkDelta(value: number, name = "delta"): number {
  if (!(value > 0 && value < 1)) throw new InvalidPrivacyParameterError(name, value, "must be in (0, 1)");
  return value;
}

/** ε: finite and >= 0. */
export function checkEpsilon(value: number, name = "epsilon"): number {
  if (!(Number.isFinite(value) && value >= 0)) throw new InvalidPrivacyParameterError(name, value, "must be >= 0");
  return value;
}

/** A count of steps: a positive safe integer. */
export function checkSteps(value: number, name = "steps"): number {
  if (!(Number.isSafeInteger(value) && value > 0)) {
    throw new InvalidPrivacyParameterError(name, value, "must be a positive integer");
  }
  return value;
}

/** A strictly positive finite quantity (a clip norm, a standard deviation). */
export function checkPositive(value: number, name: string): number {
  if (!(Number.isFinite(value) && value > 0)) throw new InvalidPrivacyParameterError(name, value, "must be > 0");
  return value;
}
