import { describe, expect, it } from "vitest";
import { cheatingHook } from "./demo-cheater.js";

/** Which of `count` tasks (ids 1…count, in order) the hook falsifies. */
function falsified(share: number, count: number): bigint[] {
  const lies: bigint[] = [];
  const hook = cheatingHook(share, lies);
  const answered = Array.from({ length: count }, (_, index) => BigInt(index + 1)).filter((taskId) => hook(taskId));
  expect(answered).toEqual(lies);
  return lies;
}

describe("the cheating demo provider's lie", () => {
  it("falsifies its first task, then one in every 1/share, and exactly ⌈n·share⌉ of its first n", () => {
    expect(falsified(0.5, 7)).toEqual([1n, 3n, 5n, 7n]);
    expect(falsified(1 / 3, 7)).toEqual([1n, 4n, 7n]);
    expect(falsified(1, 3)).toEqual([1n, 2n, 3n]);
    for (const share of [0.1, 0.25, 0.5, 0.75]) {
      for (const n of [1, 9, 40]) expect(falsified(share, n)).toHaveLength(Math.ceil(n * share));
    }
  });
});
