/**
 * x with (A + λI)x = b, for a symmetric positive semi-definite n×n `a` (row-major; not modified), by Cholesky
 * factorisation. λ = `ridge` · (mean diagonal of A), a small relative ridge that keeps an A of deficient rank
 * solvable (the solution then leans to the smallest norm in the directions the data does not determine). Returns
 * null when A has no positive diagonal or a pivot is not positive (non-finite input).
 */
export function solveRidge(a: Float64Array, b: Float64Array, ridge: number): Float64Array | null {
  const n = b.length;
  let trace = 0;
  for (let i = 0; i < n; i++) trace += a[i * n + i] as number;
  if (!(trace > 0)) return null;
  const lambda = (ridge * trace) / n;
  const l = new Float64Array(n * n);
  for (let j = 0; j < n; j++) {
    let diagonal = (a[j * n + j] as number) + lambda;
    for (let k = 0; k < j; k++) diagonal -= (l[j * n + k] as number) ** 2;
    if (!(diagonal > 0)) return null;
    const root = Math.sqrt(diagonal);
    l[j * n + j] = root;
    for (let i = j + 1; i < n; i++) {
      let sum = a[i * n + j] as number;
      for (let k = 0; k < j; k++) sum -= (l[i * n + k] as number) * (l[j * n + k] as number);
      l[i * n + j] = sum / root;
    }
  }
  const x = Float64Array.from(b);
  for (let i = 0; i < n; i++) {
    let sum = x[i] as number;
    for (let k = 0; k < i; k++) sum -= (l[i * n + k] as number) * (x[k] as number);
    x[i] = sum / (l[i * n + i] as number);
  }
  for (let i = n - 1; i >= 0; i--) {
    let sum = x[i] as number;
    for (let k = i + 1; k < n; k++) sum -= (l[k * n + i] as number) * (x[k] as number);
    x[i] = sum / (l[i * n + i] as number);
  }
  return x;
}
