/**
 * Rearranges values[from..to) so that values[k] is the value of rank k in that range, everything before it is
 * ≤ it and everything after is ≥ it (Hoare's FIND with a median-of-three pivot). Expected O(to − from).
 */
export function selectInPlace(values: Float64Array, from: number, to: number, k: number): void {
  let lo = from;
  let hi = to - 1;
  while (hi > lo) {
    const mid = (lo + hi) >>> 1;
    // Median of three into values[mid], then use it as the pivot.
    if ((values[mid] as number) < (values[lo] as number)) swap(values, mid, lo);
    if ((values[hi] as number) < (values[lo] as number)) swap(values, hi, lo);
    if ((values[hi] as number) < (values[mid] as number)) swap(values, hi, mid);
    const pivot = values[mid] as number;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while ((values[i] as number) < pivot) i++;
      while ((values[j] as number) > pivot) j--;
      if (i <= j) {
        swap(values, i, j);
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return;
  }
}

function swap(values: Float64Array, a: number, b: number): void {
  const t = values[a] as number;
  values[a] = values[b] as number;
  values[b] = t;
}
