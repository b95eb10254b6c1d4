/** Held-out records the researcher keeps for contribution scoring (at most half of the test split). */
export const VALIDATION_RECORDS = 1_000;

/** How many of the first test records go to the researcher: `VALIDATION_RECORDS`, or half a small test split. */
export function validationRecords(testCount: number): number {
  return Math.min(VALIDATION_RECORDS, Math.floor(testCount / 2));
}

/** Records of the researcher's held-out set an FLTrust job trains the server's update on (Cao et al. use 100). */
export const ROOT_RECORDS = 100;

/**
 * The researcher's held-out records of a job: an FLTrust job keeps the last `rootRecords` (default `ROOT_RECORDS`, at
 * most half) as its root dataset, apart from the validation set that scores the contributions (the rest); other jobs
 * score on them all.
 */
export function researcherSets<T extends { readonly count: number }>(
  records: T,
  strategy: string,
  subset: (records: T, from: number, to: number) => T,
  rootRecords: number = ROOT_RECORDS,
): { readonly validation: T; readonly root?: T } {
  if (strategy !== "fltrust") return { validation: records };
  const root = Math.min(rootRecords, Math.floor(records.count / 2));
  return {
    validation: subset(records, 0, records.count - root),
    root: subset(records, records.count - root, records.count),
  };
}
