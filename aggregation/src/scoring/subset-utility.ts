import { AggregationInputError } from "../errors.js";
import type { Coalition } from "./coalition.js";

/**
 * The utility of a coalition of a round's updates: how good the model built from the updates at `members` is
 * (higher is better, e.g. −validation loss or validation accuracy). `members` are indices into the round's
 * scored updates, strictly ascending; the empty coalition's utility is that of the round's starting (global)
 * model. Must be deterministic within one scoring call and return a finite number.
 */
export type SubsetUtility = (members: readonly number[]) => number | Promise<number>;

/** A utility that evaluates each distinct coalition once and counts the evaluations. */
export interface SubsetMemo {
  /** The coalition's utility: from the cache when seen before, otherwise from the utility function. */
  value(coalition: Coalition): number | Promise<number>;
  /** Number of distinct coalitions evaluated so far. */
  readonly evaluations: number;
}

/** Wraps `utility` with a cache keyed by coalition, for one scoring call (`rule` names the caller in errors). */
export function createSubsetMemo(rule: string, utility: SubsetUtility): SubsetMemo {
  if (typeof utility !== "function") {
    throw new AggregationInputError(`${rule}: utility must be a function`, { rule });
  }
  const cache = new Map<string, number>();

  function check(members: readonly number[], value: unknown): number {
    if (typeof value !== "number" || !Number.isFinite(value)) {
      throw new AggregationInputError(`${rule}: the utility of [${members.join(", ")}] is ${String(value)}`, {
        rule,
        members: members.length <= 64 ? [...members] : `${members.length} members`,
        value: String(value),
      });
    }
    return value;
  }

  return {
    value(coalition: Coalition): number | Promise<number> {
      const key = coalition.key();
      const cached = cache.get(key);
      if (cached !== undefined) return cached;
      const members = coalition.members();
      const result = utility(members);
      if (typeof result !== "number") {
        return Promise.resolve(result).then((value) => {
          const checked = check(members, value);
          cache.set(key, checked);
          return checked;
        });
      }
      const checked = check(members, result);
      cache.set(key, checked);
      return checked;
    },
    get evaluations(): number {
      return cache.size;
    },
  };
}

/** Throws unless `n` is a non-negative integer (the number of updates being scored). */
export function requireCount(rule: string, n: number): void {
  if (!Number.isSafeInteger(n) || n < 0) {
    throw new AggregationInputError(`${rule}: n must be a non-negative integer, got ${n}`, { rule, n });
  }
}

/**
 * Reads a numeric option of a scoring rule: `fallback` when absent; throws `AggregationInputError` naming `rule`
 * and the option unless it is finite (a safe integer when `integer`) and ≥ `min`.
 */
export function numberOption<Options extends object>(
  rule: string,
  options: Options,
  name: keyof Options & string,
  fallback: number,
  integer: boolean,
  min: number,
): number {
  const value = (options[name] as number | undefined) ?? fallback;
  const ok = integer ? Number.isSafeInteger(value) : Number.isFinite(value);
  if (!ok || value < min) {
    throw new AggregationInputError(`${rule}: ${name} must be ${integer ? "an integer" : "a number"} ≥ ${min}`, {
      rule,
      [name]: value,
    });
  }
  return value;
}
