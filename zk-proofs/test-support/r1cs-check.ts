// An R1CS checker written for the tests, independent of snarkjs: it reads circom's binary .r1cs format (iden3's
// "r1cs" v1: a header section with the prime and the wire counts, a constraints section of A, B, C linear
// combinations, each a list of (wire, coefficient) with coefficients little-endian in standard form) and says which
// constraints A·w × B·w = C·w (mod p) a witness breaks.
import { readFileSync } from "node:fs";

type Combination = ReadonlyArray<readonly [number, bigint]>;

export interface R1cs {
  readonly prime: bigint;
  readonly wires: number;
  readonly constraints: ReadonlyArray<readonly [Combination, Combination, Combination]>;
}

function littleEndian(bytes: Uint8Array, from: number, length: number): bigint {
  let value = 0n;
  for (let i = length - 1; i >= 0; i--) value = (value << 8n) | BigInt(bytes[from + i] as number);
  return value;
}

export function readR1cs(file: string): R1cs {
  const bytes = new Uint8Array(readFileSync(file));
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (new TextDecoder().decode(bytes.subarray(0, 4)) !== "r1cs") throw new Error(`${file} is not an r1cs file`);
  const sections = view.getUint32(8, true);
  let at = 12;
  let n8 = 0;
  let prime = 0n;
  let wires = 0;
  let count = 0;
  let body = -1;
  for (let s = 0; s < sections; s++) {
    const type = view.getUint32(at, true);
    const size = Number(view.getBigUint64(at + 4, true));
    const start = at + 12;
    if (type === 1) {
      n8 = view.getUint32(start, true);
      prime = littleEndian(bytes, start + 4, n8);
      wires = view.getUint32(start + 4 + n8, true);
      count = view.getUint32(start + 4 + n8 + 24, true);
    } else if (type === 2) body = start;
    at = start + size;
  }
  const constraints: [Combination, Combination, Combination][] = [];
  at = body;
  const combination = (): Combination => {
    const terms: [number, bigint][] = [];
    const n = view.getUint32(at, true);
    at += 4;
    for (let i = 0; i < n; i++) {
      terms.push([view.getUint32(at, true), littleEndian(bytes, at + 4, n8)]);
      at += 4 + n8;
    }
    return terms;
  };
  for (let c = 0; c < count; c++) constraints.push([combination(), combination(), combination()]);
  return { prime, wires, constraints };
}

/** The indices of the constraints `witness` (wire 0 = 1) breaks. */
export function brokenConstraints(r1cs: R1cs, witness: readonly bigint[]): number[] {
  const p = r1cs.prime;
  const evaluate = (terms: Combination) =>
    terms.reduce((sum, [wire, coefficient]) => (sum + coefficient * (witness[wire] as bigint)) % p, 0n);
  const broken: number[] = [];
  r1cs.constraints.forEach(([a, b, c], index) => {
    if ((evaluate(a) * evaluate(b) - evaluate(c)) % p !== 0n) broken.push(index);
  });
  return broken;
}

/** The wires (wire 0, the constant 1, excepted) that can each be changed by one in `witness` without breaking any
 * constraint: an under-constrained circuit has some. */
export function freeWires(r1cs: R1cs, witness: readonly bigint[]): number[] {
  const free: number[] = [];
  for (let wire = 1; wire < witness.length; wire++) {
    const changed = witness.slice();
    changed[wire] = ((changed[wire] as bigint) + 1n) % r1cs.prime;
    if (brokenConstraints(r1cs, changed).length === 0) free.push(wire);
  }
  return free;
}
