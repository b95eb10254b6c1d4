/** A compare-exchange: afterwards wire `lo` holds the smaller value and wire `hi` the larger (lo < hi). */
export type Comparator = readonly [lo: number, hi: number];

/**
 * Batcher's odd–even merge sort network for `n` wires (Knuth, TAOCP vol. 3, 5.3.4). It is built for the next
 * power of two; the extra wires are thought of as holding +Infinity, which never moves because every comparator
 * puts the larger value on its higher wire, so every comparator touching them is dropped.
 */
export function sortingNetwork(n: number): Comparator[] {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`sortingNetwork: n must be a positive integer, got ${n}`);
  let size = 1;
  while (size < n) size *= 2;
  const network: Comparator[] = [];
  for (let p = 1; p < size; p *= 2) {
    for (let k = p; k >= 1; k = Math.floor(k / 2)) {
      for (let j = k % p; j <= size - 1 - k; j += 2 * k) {
        for (let i = 0; i <= Math.min(k - 1, size - j - k - 1); i++) {
          const a = i + j;
          const b = i + j + k;
          if (Math.floor(a / (2 * p)) === Math.floor(b / (2 * p)) && b < n) network.push([a, b]);
        }
      }
    }
  }
  return network;
}

/**
 * Keeps only the comparators needed to put the values of ranks [from, to) on wires [from, to) as a set (their
 * order among themselves, and the order of the values outside, may be left unsorted). Walking backwards, a
 * comparator is dropped when neither wire feeds a value that is read, or when both wires already hold their
 * final values and lie in the same rank class (below, inside or above [from, to)), so the swap changes nothing
 * that is read.
 */
export function pruneNetworkForRanks(
  network: readonly Comparator[],
  n: number,
  from: number,
  to: number,
): Comparator[] {
  if (!(0 <= from && from < to && to <= n))
    throw new RangeError(`pruneNetworkForRanks: bad rank range [${from}, ${to})`);
  const rankClass = (wire: number): number => (wire < from ? 0 : wire < to ? 1 : 2);
  const needed = new Array<boolean>(n);
  const final = new Array<boolean>(n).fill(true);
  for (let wire = 0; wire < n; wire++) needed[wire] = rankClass(wire) === 1;
  const kept: Comparator[] = [];
  for (let index = network.length - 1; index >= 0; index--) {
    const comparator = network[index] as Comparator;
    const [a, b] = comparator;
    if (!needed[a] && !needed[b]) continue;
    if (final[a] && final[b] && rankClass(a) === rankClass(b)) continue;
    kept.push(comparator);
    needed[a] = true;
    needed[b] = true;
    final[a] = false;
    final[b] = false;
  }
  return kept.reverse();
}
