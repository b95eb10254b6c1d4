import fc from "fast-check";

/** Runs of each fuzzed invariant; `FUZZ_RUNS` overrides (CI keeps the default for a few-minute suite). */
export const FUZZ_RUNS = Number(process.env.FUZZ_RUNS ?? 40);
/** `FUZZ_SEED` replays the seed a failure printed. */
const FUZZ_SEED = process.env.FUZZ_SEED === undefined ? undefined : Number(process.env.FUZZ_SEED);

/**
 * Runs an invariant over random action sequences against the local chain and prints how many cases and
 * transactions ran, so a green run shows the fuzzing really happened.
 */
export async function fuzzInvariant<T>(
  name: string,
  cases: fc.Arbitrary<T>,
  run: (scenario: T) => Promise<number>,
  numRuns: number = FUZZ_RUNS,
): Promise<void> {
  let ran = 0;
  let steps = 0;
  await fc.assert(
    fc.asyncProperty(cases, async (scenario) => {
      ran += 1;
      steps += await run(scenario);
    }),
    { numRuns, endOnFailure: true, ...(FUZZ_SEED === undefined ? {} : { seed: FUZZ_SEED }) },
  );
  console.log(`      fuzz: ${name}: ${ran} cases, ${steps} transactions, invariant held`);
}
