import { describe, expect, it } from "vitest";
import { arenaAllocate, arenaFree, arenaOffset, arenaView } from "./vector-arena.js";

describe("vector arena", () => {
  it("allocates aligned regions with slack, reuses freed space first-fit and coalesces neighbours", () => {
    const a = arenaAllocate(1000) as number;
    const b = arenaAllocate(1000) as number;
    const c = arenaAllocate(1000) as number;
    expect([a, b, c].every((offset) => offset % 64 === 0)).toBe(true);
    // 1000 bytes + 16 of slack round up to 1024.
    expect(b - a).toBe(1024);
    expect(c - b).toBe(1024);
    arenaFree(b, 1000);
    expect(arenaAllocate(500)).toBe(b); // fits in b's hole
    const d = arenaAllocate(400) as number; // the rest of b's hole: 1024 − 576 = 448 ≥ 416
    expect(d).toBe(b + 576);
    arenaFree(b, 500);
    arenaFree(d, 400);
    expect(arenaAllocate(1000)).toBe(b); // the two pieces were merged back into one block
    for (const offset of [a, b, c]) arenaFree(offset, 1000);
    expect(arenaAllocate(3000)).toBe(a); // everything coalesced back into the top
    arenaFree(a, 3000);
  });

  it("grows the memory and keeps earlier views valid", () => {
    const first = arenaAllocate(16) as number;
    const view = arenaView(first, 4);
    view.set([1, 2, 3, 4]);
    const big = arenaAllocate(64 * 1024 * 1024) as number;
    expect(big).not.toBeNull();
    const bigView = arenaView(big, 16 * 1024 * 1024);
    bigView[bigView.length - 1] = 5;
    expect(Array.from(view)).toEqual([1, 2, 3, 4]);
    expect(arenaOffset(view)).toBe(first);
    expect(arenaOffset(bigView)).toBe(big);
    expect(arenaOffset(new Float32Array(4))).toBe(-1);
    arenaFree(big, 64 * 1024 * 1024);
    arenaFree(first, 16);
  });
});
