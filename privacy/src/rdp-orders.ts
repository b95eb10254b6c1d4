/**
 * Standard grids of Rényi orders. A finer or wider grid never gives a worse ε, only a slower computation.
 */

function range(from: number, toExclusive: number): number[] {
  return Array.from({ length: toExclusive - from }, (_, i) => from + i);
}

/** Google `dp_accounting` `rdp_privacy_accountant.DEFAULT_RDP_ORDERS`: 1.1…10.9 by 0.1, 11…63, 128…1024. */
export const DEFAULT_RDP_ORDERS: readonly number[] = Object.freeze([
  ...range(1, 100).map((x) => 1 + x / 10),
  ...range(11, 64),
  128,
  256,
  512,
  1024,
]);

/** Opacus `RDPAccountant.DEFAULT_ALPHAS`: 1.1…10.9 by 0.1, then 12…63. */
export const OPACUS_RDP_ORDERS: readonly number[] = Object.freeze([
  ...range(1, 100).map((x) => 1 + x / 10),
  ...range(12, 64),
]);

/**
 * The grid of TensorFlow Privacy's `compute_dp_sgd_privacy` and `compute_noise_from_budget` (and of
 * `dp_accounting` before 2023): 1.25…4.5 by quarters and halves, 5…63, 128, 256, 512.
 */
export const TF_PRIVACY_RDP_ORDERS: readonly number[] = Object.freeze([
  1.25,
  1.5,
  1.75,
  2,
  2.25,
  2.5,
  3,
  3.5,
  4,
  4.5,
  ...range(5, 64),
  128,
  256,
  512,
]);
