import type { ValueTransformer } from "typeorm";

/**
 * Maps a PostgreSQL `bigint` count to a JavaScript number. The pg driver hands bigints over as decimal strings;
 * counts are bounded by 2^53 − 1 where they enter (protocol schemas), so the conversion is exact. A stored value
 * beyond that (written by hand) is refused rather than rounded.
 */
export const BIGINT_COUNT: ValueTransformer = {
  to: (value: number | null | undefined) => value,
  from: (value: string | number | null) => {
    if (value === null) return null;
    const count = Number(value);
    if (!Number.isSafeInteger(count)) throw new RangeError(`count ${value} is beyond 2^53 − 1`);
    return count;
  },
};
