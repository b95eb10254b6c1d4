import { InvalidPrivacyParameterError } from "./errors.js";
import { checkDelta, checkPositive, checkSampleRate, checkSteps } from "./privacy-parameters.js";
import { PrvAccountant } from "./prv-accountant.js";
import { RdpAccountant } from "./rdp-accountant.js";
import type { RdpConversion } from "./rdp-conversion.js";

export interface NoiseCalibration {
  /** The ε the whole run may spend. */
  readonly targetEpsilon: number;
  readonly sampleRate: number;
  readonly steps: number;
  readonly delta: number;
  /** Default `rdp`. */
  readonly accountant?: "rdp" | "prv";
  /** RDP only: orders (default `DEFAULT_RDP_ORDERS`) and conversion (default `improved`). */
  readonly orders?: readonly number[];
  readonly conversion?: RdpConversion;
  /** PRV only: FFT size (default 2^16, enough for calibration to 1e-4). */
  readonly gridSize?: number;
  /** Bisection stops when the bracket is narrower than this fraction of σ. Default 1e-7. */
  readonly relativeTolerance?: number;
}

const MAX_NOISE_MULTIPLIER = 1e6;

/**
 * The smallest noise multiplier σ (to `relativeTolerance`) for which `steps` steps of the Poisson-subsampled
 * Gaussian mechanism with sampling rate q are (targetEpsilon, δ)-DP under the chosen accountant. ε(σ) is
 * decreasing, so σ is bracketed by doubling/halving and then bisected; the upper end of the final bracket is
 * returned, so ε(result) <= targetEpsilon always holds.
 */
export function calibrateNoiseMultiplier(calibration: NoiseCalibration): number {
  const targetEpsilon = checkPositive(calibration.targetEpsilon, "targetEpsilon");
  const sampleRate = checkSampleRate(calibration.sampleRate);
  const steps = checkSteps(calibration.steps);
  const delta = checkDelta(calibration.delta);
  const tolerance = calibration.relativeTolerance ?? 1e-7;
  const epsilonAt = (sigma: number): number => {
    if (calibration.accountant === "prv") {
      const accountant = new PrvAccountant({ gridSize: calibration.gridSize ?? 2 ** 16 });
      return accountant.step(sigma, sampleRate, steps).getEpsilon(delta).epsilon;
    }
    const accountant = new RdpAccountant(calibration.orders === undefined ? {} : { orders: calibration.orders });
    return accountant.step(sigma, sampleRate, steps).getEpsilon(delta, calibration.conversion ?? "improved").epsilon;
  };
  let high = 1;
  while (epsilonAt(high) > targetEpsilon) {
    high *= 2;
    if (high > MAX_NOISE_MULTIPLIER) {
      throw new InvalidPrivacyParameterError("targetEpsilon", targetEpsilon, "is unreachable with σ <= 1e6");
    }
  }
  let low = high / 2;
  while (low > 1e-6 && epsilonAt(low) <= targetEpsilon) {
    high = low;
    low /= 2;
  }
  while (high - low > tolerance * high) {
    const middle = (low + high) / 2;
    if (epsilonAt(middle) <= targetEpsilon) high = middle;
    else low = middle;
  }
  return high;
}
