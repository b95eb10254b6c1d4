import { describe, expect, it } from "vitest";
import { AggregationInputError } from "./errors.js";
import { isSharedVector } from "./shared-vector.js";
import { createUpdatePool } from "./update-pool.js";
import { arenaOffset } from "./vector-arena.js";

describe("createUpdatePool", () => {
  it("hands out zero-filled, shared, non-overlapping vectors in the arena", () => {
    const pool = createUpdatePool(1001, 3);
    expect(pool.zeroCopy).toBe(true);
    const vectors = [pool.acquire(), pool.acquire(), pool.acquire()];
    vectors.forEach((vector, index) => {
      expect(vector.length).toBe(1001);
      expect(isSharedVector(vector)).toBe(true);
      expect(arenaOffset(vector) % 64).toBe(0);
      expect(vector.every((value) => value === 0)).toBe(true);
      vector.fill(index + 1);
    });
    vectors.forEach((vector, index) => {
      expect(vector.every((value) => value === index + 1)).toBe(true);
    });
    expect(pool.available).toBe(0);
    pool.dispose();
  });

  it("reuses released vectors (zeroed again) and refuses to over-allocate or take foreign vectors", () => {
    const pool = createUpdatePool(16, 2);
    const first = pool.acquire();
    pool.acquire();
    expect(() => pool.acquire()).toThrow(AggregationInputError);
    first.fill(7);
    pool.release(first);
    expect(() => pool.release(first)).toThrow(AggregationInputError);
    expect(() => pool.release(new Float32Array(16))).toThrow(AggregationInputError);
    const again = pool.acquire();
    expect(again).toBe(first);
    expect(Array.from(again)).toEqual(new Array(16).fill(0));
    pool.dispose();
    expect(() => pool.acquire()).toThrow(AggregationInputError);
  });

  it("gives the arena memory back on dispose, so a new pool of the same size lands in the same place", () => {
    const pool = createUpdatePool(5000, 4);
    const offset = arenaOffset(pool.acquire());
    pool.dispose();
    const again = createUpdatePool(5000, 4);
    expect(arenaOffset(again.acquire())).toBe(offset);
    again.dispose();
  });

  it("rejects bad sizes", () => {
    expect(() => createUpdatePool(0, 1)).toThrow(AggregationInputError);
    expect(() => createUpdatePool(10, 0)).toThrow(AggregationInputError);
  });
});
