import type { Address } from "@tributary/protocol";
import { describe, expect, it } from "vitest";
import { runSecAggRound } from "../test-support/run-secagg-round.js";
import { dequantiseSum, quantisationErrorBound } from "./quantise.js";

const clip = 0.5;
const scale = 2 ** 20;

/** The float64 sum of the survivors' inputs, each coordinate clipped to ±clip (the reference). */
function referenceSum(
  inputs: ReadonlyMap<Address, Float32Array>,
  survivors: readonly Address[],
  length: number,
): Float64Array {
  const sum = new Float64Array(length);
  for (const trainer of survivors) {
    const input = inputs.get(trainer) as Float32Array;
    for (let i = 0; i < length; i++) sum[i] = (sum[i] as number) + Math.max(-clip, Math.min(clip, input[i] as number));
  }
  return sum;
}

async function expectExactSum(plan: Parameters<typeof runSecAggRound>[0], expectedSurvivors: number) {
  const run = await runSecAggRound(plan);
  expect(run.result.survivors).toHaveLength(expectedSurvivors);
  const decoded = dequantiseSum(run.result.sum, plan.scale);
  const reference = referenceSum(run.inputs, run.result.survivors, plan.length);
  const bound = quantisationErrorBound(expectedSurvivors, plan.scale);
  let worst = 0;
  for (let i = 0; i < plan.length; i++)
    worst = Math.max(worst, Math.abs((decoded[i] as number) - (reference[i] as number)));
  expect(worst).toBeLessThanOrEqual(bound);
  return run;
}

describe("SecAgg+ round: the coordinator gets the survivors' sum", () => {
  // Complete graph (k = n − 1 = 6), t = 4: any 0 … n − t = 3 trainers may drop at any stage.
  const complete = { trainers: 7, threshold: 4, neighbours: 6, length: 257, clip, scale };
  for (const stage of ["advertise", "share", "mask"] as const) {
    for (let dropouts = 0; dropouts <= 3; dropouts++) {
      it(`${dropouts} of 7 trainers drop before ${stage} (t = 4)`, async () => {
        const dropped = [1, 4, 6].slice(0, dropouts);
        await expectExactSum(
          { ...complete, seed: 10 * dropouts + stage.length, dropBefore: { [stage]: dropped } },
          7 - dropouts,
        );
      });
    }
  }

  it("drops at every stage at once, and a survivor that sends no unmasking answer", async () => {
    await expectExactSum(
      {
        trainers: 9,
        threshold: 5,
        neighbours: 8,
        length: 64,
        clip,
        scale,
        seed: 5,
        dropBefore: { advertise: [0], share: [3], mask: [5], unmask: [8] },
      },
      6,
    );
  });

  it("a Harary graph (n = 24, k = 8, t = 5) with dropouts before sharing and before masking", async () => {
    const run = await expectExactSum(
      {
        trainers: 24,
        threshold: 5,
        neighbours: 8,
        length: 128,
        clip,
        scale,
        seed: 9,
        dropBefore: { share: [2, 13], mask: [7, 20] },
      },
      20,
    );
    expect(run.result.dropped).toHaveLength(2);
  });

  it("aborts rather than returning a wrong sum when fewer than t trainers are left", async () => {
    await expect(runSecAggRound({ ...complete, seed: 1, dropBefore: { mask: [0, 1, 2, 3] } })).rejects.toMatchObject({
      code: "SECAGG_ABORTED",
    });
  });
});
