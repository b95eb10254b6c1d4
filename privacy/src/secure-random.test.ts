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
