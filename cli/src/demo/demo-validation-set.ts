/** Held-out records the researcher keeps for contribution scoring (at most half of the test split). */
export const VALIDATION_RECORDS = 1_000;

/** How many of the first test records go to the researcher: `VALIDATION_RECORDS`, or half a small test split. */
export function validationRecords(testCount: number): number {
  return Math.min(VALIDATION_RECORDS, Math.floor(testCount / 2));
}
