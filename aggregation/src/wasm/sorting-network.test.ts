import { describe, expect, it } from "vitest";
import { type Comparator, pruneNetworkForRanks, sortingNetwork } from "./sorting-network.js";

function apply(network: readonly Comparator[], values: number[]): number[] {
  const wires = values.slice();
  for (const [lo, hi] of network) {
    if ((wires[lo] as number) > (wires[hi] as number)) {
      const t = wires[lo] as number;
      wires[lo] = wires[hi] as number;
      wires[hi] = t;
    }
  }
  return wires;
}

function bits(mask: number, n: number): number[] {
  return Array.from({ length: n }, (_, i) => (mask >> i) & 1);
}

describe("sortingNetwork", () => {
  it("sorts every 0/1 input for n ≤ 14, hence every input (the 0-1 principle)", () => {
    for (let n = 1; n <= 14; n++) {
      const network = sortingNetwork(n);
      expect(network.every(([lo, hi]) => lo < hi && hi < n)).toBe(true);
      let unsorted = 0;
      for (let mask = 0; mask < 1 << n; mask++) {
        const sorted = apply(network, bits(mask, n));
        for (let i = 1; i < n; i++) if ((sorted[i - 1] as number) > (sorted[i] as number)) unsorted++;
      }
      expect(unsorted).toBe(0);
    }
  });

  it("has Batcher's comparator counts for powers of two", () => {
    // Knuth 5.3.4: Batcher's merge exchange uses (p² − p + 4)·2^(p−2) − 1 comparators for n = 2^p.
    for (const p of [1, 2, 3, 4, 5, 6]) {
      expect(sortingNetwork(2 ** p).length).toBe((p * p - p + 4) * 2 ** (p - 2) - 1);
    }
  });
});

describe("pruneNetworkForRanks", () => {
  it("still puts the right values on the requested ranks (as a set) for every 0/1 input", () => {
    for (let n = 2; n <= 13; n++) {
      const full = sortingNetwork(n);
      const ranges: [number, number][] = [
        [Math.floor((n - 1) / 2), Math.floor(n / 2) + 1],
        [1, n - 1],
        [0, 1],
        [n - 1, n],
      ];
      for (const [from, to] of ranges) {
        if (!(from < to)) continue;
        const pruned = pruneNetworkForRanks(full, n, from, to);
        expect(pruned.length).toBeLessThanOrEqual(full.length);
        const count = (values: number[]) => values.slice(from, to).reduce((a, b) => a + b, 0);
        let wrong = 0;
        for (let mask = 0; mask < 1 << n; mask++) {
          const input = bits(mask, n);
          const expected = input.slice().sort((a, b) => a - b);
          if (count(apply(pruned, input)) !== count(expected)) wrong++;
        }
        expect(wrong).toBe(0);
      }
    }
  });

  it("prunes a median network below the full sort", () => {
    expect(pruneNetworkForRanks(sortingNetwork(20), 20, 9, 11).length).toBeLessThan(sortingNetwork(20).length);
  });
});
