import { describe, expect, it } from "vitest";
import { bumpFees, capFees } from "./fee-bump.js";

const GWEI = 10n ** 9n;

describe("fee bumps", () => {
  it("raises both fees by the percentage, rounded up to the wei", () => {
    // 25 % of 3 wei is 0.75 wei: the replacement must pay 4 wei, not 3 (nodes reject an under-10 % bump).
    expect(
      bumpFees({ maxFeePerGas: 3n, maxPriorityFeePerGas: 3n }, { maxFeePerGas: 1n, maxPriorityFeePerGas: 1n }, 25),
    ).toEqual({
      maxFeePerGas: 4n,
      maxPriorityFeePerGas: 4n,
    });
    expect(
      bumpFees(
        { maxFeePerGas: 20n * GWEI, maxPriorityFeePerGas: 2n * GWEI },
        { maxFeePerGas: GWEI, maxPriorityFeePerGas: GWEI },
        25,
      ),
    ).toEqual({ maxFeePerGas: 25n * GWEI, maxPriorityFeePerGas: 2_500_000_000n });
  });

  it("follows the node's suggestion when it is above the bumped value, and keeps the tip under the fee", () => {
    expect(
      bumpFees(
        { maxFeePerGas: GWEI, maxPriorityFeePerGas: GWEI },
        { maxFeePerGas: 30n * GWEI, maxPriorityFeePerGas: 40n * GWEI },
        25,
      ),
    ).toEqual({ maxFeePerGas: 40n * GWEI, maxPriorityFeePerGas: 40n * GWEI });
  });

  it("stops at the cap, and has nothing to offer once the previous fee reached it", () => {
    const previous = { maxFeePerGas: 90n * GWEI, maxPriorityFeePerGas: 95n * GWEI };
    const suggested = { maxFeePerGas: GWEI, maxPriorityFeePerGas: GWEI };
    expect(bumpFees(previous, suggested, 25, 100n * GWEI)).toEqual({
      maxFeePerGas: 100n * GWEI,
      maxPriorityFeePerGas: 100n * GWEI,
    });
    expect(
      bumpFees({ maxFeePerGas: 100n * GWEI, maxPriorityFeePerGas: GWEI }, suggested, 25, 100n * GWEI),
    ).toBeUndefined();
    expect(capFees({ maxFeePerGas: 5n, maxPriorityFeePerGas: 7n }, undefined)).toEqual({
      maxFeePerGas: 5n,
      maxPriorityFeePerGas: 7n,
    });
  });
});
