import { describe, expect, it } from "vitest";
import { Fft } from "./fft.js";

describe("Fft", () => {
  it("matches the direct DFT and inverts", () => {
    const n = 64;
    const re = Float64Array.from({ length: n }, (_, i) => Math.sin(i * 0.7) + (i % 5));
    const im = Float64Array.from({ length: n }, (_, i) => Math.cos(i * 1.3));
    const originalRe = Float64Array.from(re);
    const originalIm = Float64Array.from(im);
    new Fft(n).forward(re, im);
    for (let k = 0; k < n; k++) {
      let sr = 0;
      let si = 0;
      for (let t = 0; t < n; t++) {
        const angle = (-2 * Math.PI * k * t) / n;
        sr += (originalRe[t] as number) * Math.cos(angle) - (originalIm[t] as number) * Math.sin(angle);
        si += (originalRe[t] as number) * Math.sin(angle) + (originalIm[t] as number) * Math.cos(angle);
      }
      expect(re[k]).toBeCloseTo(sr, 10);
      expect(im[k]).toBeCloseTo(si, 10);
    }
    new Fft(n).inverse(re, im);
    for (let t = 0; t < n; t++) {
      expect(re[t]).toBeCloseTo(originalRe[t] as number, 12);
      expect(im[t]).toBeCloseTo(originalIm[t] as number, 12);
    }
  });

  it("rejects sizes that are not powers of two", () => {
    expect(() => new Fft(48)).toThrow(RangeError);
  });
});
