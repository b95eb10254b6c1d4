import { describe, expect, it } from "vitest";
import { downsampleDrawing } from "./digit-pixels.js";

/** A white, opaque `width`×`height` canvas with the black square [x0, x1) × [y0, y1) filled in. */
function canvasWithSquare(width: number, height: number, x0: number, x1: number, y0: number, y1: number) {
  const rgba = new Uint8ClampedArray(width * height * 4).fill(255);
  for (let y = y0; y < y1; y++) {
    for (let x = x0; x < x1; x++) rgba.fill(0, (y * width + x) * 4, (y * width + x) * 4 + 3);
  }
  return rgba;
}

/** The closed form: an output pixel is the area of its block the square covers, over the block's area. */
function coverage(block: number, x0: number, x1: number, y0: number, y1: number, row: number, col: number): number {
  const overlap = (lo: number, hi: number, start: number) =>
    Math.max(0, Math.min(hi, start + block) - Math.max(lo, start));
  return (overlap(x0, x1, col * block) * overlap(y0, y1, row * block)) / (block * block);
}

describe("downsampling a drawing to 28×28", () => {
  it("maps a filled square to the fraction of each block it covers", () => {
    // 280×280 canvas, 10×10 blocks; the square [15, 47) × [23, 61) cuts blocks in halves, quarters and tenths.
    const [x0, x1, y0, y1] = [15, 47, 23, 61];
    const pixels = downsampleDrawing(canvasWithSquare(280, 280, x0, x1, y0, y1), 280, 280);
    expect(pixels).toHaveLength(784);
    for (let row = 0; row < 28; row++) {
      for (let col = 0; col < 28; col++) {
        expect(pixels[row * 28 + col]).toBeCloseTo(coverage(10, x0, x1, y0, y1, row, col), 6);
      }
    }
    // Spot values by hand: block (row 2, col 1) is [10,20)×[20,30): 5 × 7 of 100 pixels inked.
    expect(pixels[2 * 28 + 1]).toBeCloseTo(0.35, 6);
    expect(pixels[3 * 28 + 2]).toBe(1);
    expect(pixels[6 * 28 + 4]).toBeCloseTo(0.7 * 0.1, 6);
    expect(pixels[0]).toBe(0);
  });

  it("reads transparent pixels as paper and grey as part ink", () => {
    const rgba = new Uint8ClampedArray(28 * 28 * 4);
    rgba.set([0, 0, 0, 0], 0); // transparent black: no ink
    rgba.set([102, 102, 102, 255], 4); // opaque grey: 1 − 102/255 = 0.6 ink
    const pixels = downsampleDrawing(rgba, 28, 28);
    expect(pixels[0]).toBe(0);
    expect(pixels[1]).toBeCloseTo(0.6, 6);
  });

  it("refuses a canvas that does not split into whole blocks", () => {
    expect(() => downsampleDrawing(new Uint8ClampedArray(30 * 30 * 4), 30, 30)).toThrow(/whole blocks/);
  });
});
