import { z } from "zod";

/**
 * Why PostgreSQL could not store `value` in `text` or inside `jsonb`, or `undefined` when it can: neither holds
 * the NUL character U+0000, and `jsonb` refuses a lone UTF-16 surrogate.
 */
export function storedTextProblem(value: string): string | undefined {
  if (value.includes("\u0000")) return "must not contain the NUL character (U+0000)";
  if (!value.isWellFormed()) return "must be well-formed Unicode (no lone UTF-16 surrogate)";
  return undefined;
}

/**
 * A string the coordinator stores in PostgreSQL (`text`, or inside `jsonb`), refused at the boundary when
 * `storedTextProblem` finds it cannot be stored, instead of failing inside the insert. Chain `.min()`/`.max()`
 * for the length.
 */
export const StoredTextSchema = z.string().superRefine((value, ctx) => {
  const problem = storedTextProblem(value);
  if (problem !== undefined) ctx.addIssue({ code: "custom", message: problem });
});
