/**
 * Independent, deliberately plain references for the contribution-scoring tests: exact Shapley values by brute
 * force, written from the definitions and sharing no code with `src/`.
 */

/** A game on players 0..n−1: the value of the coalition given as a sorted list of members. */
export type Game = (members: readonly number[]) => number;

/** Every permutation of 0..n−1 (n! of them), by recursion. */
export function allPermutations(n: number): number[][] {
  if (n === 0) return [[]];
  const result: number[][] = [];
  for (const rest of allPermutations(n - 1)) {
    for (let at = 0; at <= rest.length; at++) result.push([...rest.slice(0, at), n - 1, ...rest.slice(at)]);
  }
  return result;
}

/**
 * Shapley values as the average marginal contribution over all n! orders (the random-order definition), plus the
 * population variance of each player's marginal contribution over those orders (for sampling error bounds).
 */
export function shapleyByPermutations(n: number, game: Game): { values: number[]; variances: number[] } {
  const sums = new Array<number>(n).fill(0);
  const squares = new Array<number>(n).fill(0);
  const permutations = allPermutations(n);
  for (const order of permutations) {
    const members: number[] = [];
    let previous = game([]);
    for (const player of order) {
      members.push(player);
      const value = game([...members].sort((a, b) => a - b));
      const marginal = value - previous;
      sums[player] = (sums[player] as number) + marginal;
      squares[player] = (squares[player] as number) + marginal * marginal;
      previous = value;
    }
  }
  const count = permutations.length;
  const values = sums.map((sum) => sum / count);
  const variances = squares.map((square, i) => Math.max(0, square / count - (values[i] as number) ** 2));
  return { values, variances };
}

function factorial(k: number): number {
  let result = 1;
  for (let i = 2; i <= k; i++) result *= i;
  return result;
}

/** Shapley values by the subset formula φ_i = Σ_{S ⊆ N∖{i}} |S|!(n−|S|−1)!/n! · (v(S ∪ {i}) − v(S)). */
export function shapleyBySubsets(n: number, game: Game): number[] {
  const values = new Array<number>(n).fill(0);
  for (let mask = 0; mask < 1 << n; mask++) {
    const members: number[] = [];
    for (let j = 0; j < n; j++) if (mask & (1 << j)) members.push(j);
    const base = game(members);
    for (let i = 0; i < n; i++) {
      if (mask & (1 << i)) continue;
      const weight = (factorial(members.length) * factorial(n - members.length - 1)) / factorial(n);
      const withI = [...members, i].sort((a, b) => a - b);
      values[i] = (values[i] as number) + weight * (game(withI) - base);
    }
  }
  return values;
}

/** Leave-one-out by definition: v(N) − v(N ∖ {i}). */
export function leaveOneOutByDefinition(n: number, game: Game): number[] {
  const all = Array.from({ length: n }, (_, i) => i);
  return all.map((i) => game(all) - game(all.filter((j) => j !== i)));
}
