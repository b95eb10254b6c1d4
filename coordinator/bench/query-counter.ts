import pg from "pg";
import { wallClockMs } from "./fleet-messages.js";

/** One statement the coordinator sent to its database: when (wall clock, ms) and its shape. */
export interface CountedQuery {
  readonly atMs: number;
  readonly shape: string;
}

/** A statement's shape: its verb and table, with values and aliases dropped. */
function shapeOf(text: string): string {
  const squeezed = text.replace(/\s+/g, " ").trim();
  const verb = /^\w+/.exec(squeezed)?.[0]?.toUpperCase() ?? "?";
  const table = /\b(?:FROM|INTO|UPDATE)\s+((?:"?\w+"?\.)?"?\w+"?)/i.exec(squeezed)?.[1]?.replace(/"/g, "") ?? "";
  const forShare = /FOR SHARE/i.test(squeezed) ? " FOR SHARE" : "";
  return `${verb} ${table}${forShare}`.trim();
}

/**
 * Records every query issued through node-postgres in this process (TypeORM's postgres driver loads the same
 * CommonJS `pg`). Returns a function that uninstalls the recorder and hands back what it saw.
 */
export function recordQueries(): () => CountedQuery[] {
  const prototype = pg.Client.prototype as unknown as { query: (...args: unknown[]) => unknown };
  const original = prototype.query;
  const seen: CountedQuery[] = [];
  prototype.query = function (this: unknown, ...args: unknown[]) {
    const first = args[0];
    const text = typeof first === "string" ? first : ((first as { text?: string } | null)?.text ?? "");
    seen.push({ atMs: wallClockMs(), shape: shapeOf(text) });
    return original.apply(this, args);
  };
  return () => {
    prototype.query = original;
    return seen;
  };
}

/** Statements per accepted update within a time window, by shape, most frequent first. */
export function queriesPerUpdate(queries: readonly CountedQuery[], fromMs: number, toMs: number, updates: number) {
  const counts = new Map<string, number>();
  let total = 0;
  for (const query of queries) {
    if (query.atMs < fromMs || query.atMs > toMs) continue;
    counts.set(query.shape, (counts.get(query.shape) ?? 0) + 1);
    total++;
  }
  const lines = [`${total} statements, ${(total / updates).toFixed(1)} per update:`];
  for (const [shape, count] of [...counts].sort((a, b) => b[1] - a[1])) {
    lines.push(`${(count / updates).toFixed(2).padStart(8)} × ${shape}`);
  }
  return lines.join("\n");
}
