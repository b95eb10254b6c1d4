/** EIP-1559 fees of one transaction, in wei. */
export interface Fees {
  readonly maxFeePerGas: bigint;
  readonly maxPriorityFeePerGas: bigint;
}

// biome-ignore lint/complexity/useMathMinMax: Math.max does not take bigints.
const maxOf = (...values: bigint[]) => values.reduce((a, b) => (a > b ? a : b));
// biome-ignore lint/complexity/useMathMinMax: Math.min does not take bigints.
const minOf = (...values: bigint[]) => values.reduce((a, b) => (a < b ? a : b));

/** `fees` with maxFeePerGas held at `cap` (and the tip never above it); unchanged without a cap. */
export function capFees(fees: Fees, cap: bigint | undefined): Fees {
  if (cap === undefined || fees.maxFeePerGas <= cap) return fees;
  return { maxFeePerGas: cap, maxPriorityFeePerGas: minOf(fees.maxPriorityFeePerGas, cap) };
}

/**
 * The fees of a replacement transaction: both of `previous` raised by `percent` (rounded up), never below the
 * node's current suggestion, tip never above the fee cap, then capped at `cap`. Undefined when the cap leaves no
 * room above `previous.maxFeePerGas` (nothing to bump: the transaction waits for the base fee to fall).
 */
export function bumpFees(previous: Fees, suggested: Fees, percent: number, cap?: bigint): Fees | undefined {
  const factor = BigInt(100 + percent);
  const up = (value: bigint) => (value * factor + 99n) / 100n;
  const tip = maxOf(up(previous.maxPriorityFeePerGas), suggested.maxPriorityFeePerGas);
  const fee = maxOf(up(previous.maxFeePerGas), suggested.maxFeePerGas, tip);
  const capped = capFees({ maxFeePerGas: fee, maxPriorityFeePerGas: tip }, cap);
  return capped.maxFeePerGas <= previous.maxFeePerGas ? undefined : capped;
}
