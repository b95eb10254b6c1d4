import { SeededRandom } from "@tributary/protocol";
import { describe, expect, it } from "vitest";
import { reconstructSecret, SHAMIR_PRIME, splitSecret } from "./shamir.js";

// A second implementation, written independently: modular inverse by the extended Euclidean algorithm and
// Lagrange basis polynomials evaluated at 0 term by term.
const P = (1n << 521n) - 1n;
const modP = (v: bigint) => ((v % P) + P) % P;
function inverse(a: bigint): bigint {
  let [oldR, r] = [modP(a), P];
  let [oldS, s] = [1n, 0n];
  while (r !== 0n) {
    const q = oldR / r;
    [oldR, r] = [r, oldR - q * r];
    [oldS, s] = [s, oldS - q * s];
  }
  return modP(oldS);
}
function lagrangeAtZero(points: readonly { x: number; y: bigint }[]): bigint {
  let total = 0n;
  for (const [i, pi] of points.entries()) {
    let basis = 1n;
    for (const [j, pj] of points.entries()) {
      if (i !== j) basis = modP(basis * BigInt(pj.x) * inverse(BigInt(pj.x - pi.x)));
    }
    total = modP(total + pi.y * basis);
  }
  return total;
}
function evaluate(coefficients: readonly bigint[], x: number): bigint {
  return coefficients.reduce((acc, c, k) => modP(acc + c * BigInt(x) ** BigInt(k)), 0n);
}

const seeded = (seed: number) => {
  const random = new SeededRandom(seed);
  return (n: number) => Uint8Array.from({ length: n }, () => random.nextInt(256));
};

describe("Shamir sharing over GF(2^521 − 1)", () => {
  it("uses the Mersenne prime 2^521 − 1", () => {
    expect(SHAMIR_PRIME).toBe(P);
  });

  it("any t of its shares give the secret under an independent Lagrange interpolation, and vice versa", () => {
    const random = seeded(1);
    const secret = (1n << 255n) + 12_345_678_901_234_567_890n;
    const xs = [3, 7, 8, 11, 20, 21];
    const shares = splitSecret(secret, 4, xs, random);
    expect(lagrangeAtZero(shares.slice(0, 4))).toBe(secret);
    expect(lagrangeAtZero(shares.slice(2))).toBe(secret);
    expect(reconstructSecret([shares[5], shares[0], shares[3], shares[1]] as typeof shares)).toBe(secret);
    // Shares made by the test's own polynomial reconstruct under the implementation.
    const coefficients = [secret, 99n, P - 5n, 1n << 400n];
    const points = xs.map((x) => ({ x, y: evaluate(coefficients, x) }));
    expect(reconstructSecret(points.slice(1, 5))).toBe(secret);
  });

  it("t − 1 shares do not give the secret", () => {
    const secret = 42n;
    const shares = splitSecret(secret, 3, [1, 2, 3], seeded(2));
    expect(reconstructSecret(shares.slice(0, 2))).not.toBe(secret);
    expect(lagrangeAtZero(shares.slice(1))).not.toBe(secret);
  });
});
