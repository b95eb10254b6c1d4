import { describe, expect, it } from "vitest";
import { SecureRandom } from "./secure-random.js";

describe("SecureRandom", () => {
  it("decides Bernoulli(p) exactly for a float p, digit by digit", () => {
    // With the words scripted, u = 0.w1 w2 … (base 2^32); u < p decides. p = 0.75 has digits (3·2^30, 0, …).
    const script = (words: number[]) => {
      let i = 0;
      return new SecureRandom({
        poolWords: 1,
        fill: (buffer) => {
          buffer[0] = words[i++] as number;
        },
      });
    };
    expect(script([3 * 2 ** 30 - 1]).nextBernoulli(0.75)).toBe(true);
    expect(script([3 * 2 ** 30 + 1]).nextBernoulli(0.75)).toBe(false);
    expect(script([3 * 2 ** 30, 0]).nextBernoulli(0.75)).toBe(false); // u >= 0.75 exactly
    expect(script([0]).nextBernoulli(0)).toBe(false);
    expect(new SecureRandom().nextBernoulli(1)).toBe(true);
  });

  it("draws uniform words from the CSPRNG (frequency of each byte value within 6σ)", () => {
    const random = new SecureRandom();
    const counts = new Float64Array(256);
    const n = 200_000;
    for (let i = 0; i < n; i++) {
      const byte = random.nextUint32() & 255;
      counts[byte] = (counts[byte] as number) + 1;
    }
    const expected = n / 256;
    for (const c of counts) expect(Math.abs(c - expected)).toBeLessThan(6 * Math.sqrt(expected));
    expect(random.wordsDrawn).toBe(n);
    const f = random.nextFloat53();
    expect(f >= 0 && f < 1).toBe(true);
  });
});

describe("SecureRandom.nextUintBelow", () => {
  it.each([3, 1000, 2 ** 33 + 1])("draws uniformly below %s (DKW test against the uniform CDF)", (bound) => {
    const random = new SecureRandom();
    const n = 50_000;
    const samples = Float64Array.from({ length: n }, () => random.nextUintBelow(bound)).sort();
    expect(samples.every((x) => Number.isInteger(x) && x >= 0 && x < bound)).toBe(true);
    // Both CDFs step only at integers: compare F_n and F = (x + 1)/bound at each sampled value x and just below it.
    let worst = 0;
    let runStart = 0;
    for (let i = 0; i < n; i++) {
      if (i + 1 < n && samples[i + 1] === samples[i]) continue;
      const x = samples[i] as number;
      worst = Math.max(worst, Math.abs((i + 1) / n - (x + 1) / bound), Math.abs(runStart / n - x / bound));
      runStart = i + 1;
    }
    expect(worst).toBeLessThan(Math.sqrt(Math.log(2 / 1e-9) / (2 * n)));
  });

  it("refuses a bound it cannot draw exactly", () => {
    const random = new SecureRandom();
    expect(() => random.nextUintBelow(0)).toThrow(RangeError);
    expect(() => random.nextUintBelow(2 ** 53 + 2)).toThrow(RangeError);
    expect(() => random.nextUintBelow(1.5)).toThrow(RangeError);
    expect(random.nextUintBelow(1)).toBe(0);
  });
});
