import type { z } from "zod";
import { TributaryError } from "./errors.js";

/** One problem found in an input: where (a dotted path from the input's root) and what. */
export interface InputIssue {
  readonly path: string;
  readonly message: string;
}

/** An input at a boundary (HTTP body, socket message, file, CLI flag, chain event) did not match its schema. */
export class InvalidInputError extends TributaryError {
  readonly issues: readonly InputIssue[];

  constructor(what: string, issues: readonly InputIssue[]) {
    const summary = issues.map((issue) => `${issue.path}: ${issue.message}`).join("; ");
    super("INVALID_INPUT", `invalid ${what}: ${summary}`, { details: { what, issues } });
    this.issues = issues;
  }
}

function formatPath(root: string, path: readonly PropertyKey[]): string {
  return path.reduce<string>(
    (text, key) => (typeof key === "number" ? `${text}[${key}]` : `${text}.${String(key)}`),
    root,
  );
}

/**
 * Parses `input` with `schema` and returns the typed value, or throws `InvalidInputError` listing every issue
 * with its path, e.g. `invalid ModelUpdate: ModelUpdate.round: Too small: expected number to be >=0`.
 */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown, what: string): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  throw new InvalidInputError(
    what,
    result.error.issues.map((issue) => ({ path: formatPath(what, issue.path), message: issue.message })),
  );
}
