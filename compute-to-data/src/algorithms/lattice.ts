/** Steps a statistic's [lower, upper] is cut into: values are released on (or computed from) 65,537 points. */
export const LATTICE_STEPS = 65_536;

/**
 * A value clipped to [lower, upper] and rounded to the nearest of the lattice's points lower + j·(upper − lower)/2^16,
 * as its index j, an integer in [0, 2^16] whatever the float rounding: what bounds a record's contribution exactly.
 */
export function toLattice(value: number, lower: number, upper: number): number {
  const clipped = Math.min(upper, Math.max(lower, value));
  const index = Math.round(((clipped - lower) / (upper - lower)) * LATTICE_STEPS);
  return Math.min(LATTICE_STEPS, Math.max(0, Number.isNaN(index) ? 0 : index));
}

/** The value of lattice index j (any real j), clamped to [lower, upper]. */
export function fromLattice(index: number, lower: number, upper: number): number {
  return Math.min(upper, Math.max(lower, lower + (index / LATTICE_STEPS) * (upper - lower)));
}
