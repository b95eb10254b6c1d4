import { isInteractive } from "../cli-env.js";

const BAR_WIDTH = 20;

/** `[#####---------------]`: `done` of `total` as a fixed-width bar. */
export function progressBar(done: number, total: number): string {
  const filled = total <= 0 ? 0 : Math.min(BAR_WIDTH, Math.round((done / total) * BAR_WIDTH));
  return `[${"#".repeat(filled)}${"-".repeat(BAR_WIDTH - filled)}]`;
}

/** Rows as aligned columns (two spaces apart), trailing spaces trimmed; the first row is usually the header. */
export function formatTable(rows: readonly (readonly string[])[]): string[] {
  const widths = (rows[0] ?? []).map((_, column) => Math.max(...rows.map((row) => (row[column] ?? "").length)));
  return rows.map((row) =>
    row
      .map((cell, column) => cell.padEnd(widths[column] ?? 0))
      .join("  ")
      .trimEnd(),
  );
}

/** `JSON.stringify` with bigints as decimal strings (token amounts in base units). */
export function toJsonLine(value: unknown): string {
  return `${JSON.stringify(value, (_, item: unknown) => (typeof item === "bigint" ? item.toString() : item))}\n`;
}

/**
 * What a command prints. Human mode: lines and tables on stdout, a progress bar redrawn on stderr when stdout is a
 * terminal. `--json`: nothing but one JSON line on stdout at the end (`done`), so a script reads the last line; the
 * transactions' hashes are in it.
 */
export class Output {
  readonly #write: (text: string) => void;
  readonly #progress: ((text: string) => void) | undefined;
  #found = false;

  constructor(
    readonly json: boolean,
    write: (text: string) => void = (text) => process.stdout.write(text),
    interactive: boolean = isInteractive(),
  ) {
    this.#write = write;
    this.#progress = interactive && !json ? (text) => process.stderr.write(text) : undefined;
  }

  /** An output that prints nothing: a command's core run where its caller reports what it did. */
  static silent(): Output {
    return new Output(false, () => {}, false);
  }

  /** A line for people (nothing with --json). */
  say(line: string): void {
    if (!this.json) this.#write(`${line}\n`);
  }

  /** Aligned rows for people, indented by two spaces (nothing with --json). */
  table(rows: readonly (readonly string[])[]): void {
    for (const line of formatTable(rows)) this.say(`  ${line}`);
  }

  /**
   * A progress reporter for `label` (fraction 0..1), redrawn in place on a terminal and silent elsewhere; call the
   * returned `end` when the work is over. Fits ethers' `ProgressCallback` (keystore scrypt).
   */
  progress(label: string): { update: (fraction: number) => void; end: () => void } {
    const draw = this.#progress;
    if (draw === undefined) return { update: () => {}, end: () => {} };
    let shown = -1;
    return {
      update: (fraction) => {
        const percent = Math.floor(fraction * 100);
        if (percent === shown) return;
        shown = percent;
        draw(`\r\x1b[2K${progressBar(percent, 100)} ${String(percent).padStart(3)}% ${label}`);
      },
      end: () => draw("\r\x1b[2K"),
    };
  }

  /**
   * The command's result: with --json the one JSON line `{ok: true, …result}`, else the human `lines` (if any).
   */
  done(result: Readonly<Record<string, unknown>>, lines: readonly string[] = []): void {
    if (this.json) this.#write(toJsonLine({ ok: true, ...result }));
    else for (const line of lines) this.#write(`${line}\n`);
  }

  /**
   * The command's result when what it checked does not hold (a proof that does not verify): with --json the one
   * JSON line `{ok: false, …result}`, else the human `lines`; `runCommand` then exits 1.
   */
  finding(result: Readonly<Record<string, unknown>>, lines: readonly string[] = []): void {
    this.#found = true;
    if (this.json) this.#write(toJsonLine({ ok: false, ...result }));
    else for (const line of lines) this.#write(`${line}\n`);
  }

  /** Whether the command reported a finding (`finding`). */
  get found(): boolean {
    return this.#found;
  }
}
