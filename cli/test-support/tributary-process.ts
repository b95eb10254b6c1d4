import { type ChildProcess, spawn } from "node:child_process";
import path from "node:path";
import { createInterface } from "node:readline";

/** The built `tributary` command (run `npm run build` first: a spawned process runs `cli/dist`). */
export const TRIBUTARY_BIN = path.resolve(import.meta.dirname, "../bin/tributary.js");

/** This process's environment without any `TRIBUTARY_*` variable: a person holding no key. */
export function envWithoutKeys(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith("TRIBUTARY_")));
}

/** The environment of a person holding one key: every other `TRIBUTARY_*` variable removed. */
export function envWithKey(variable: string, key: string): NodeJS.ProcessEnv {
  return { ...envWithoutKeys(), [variable]: key };
}

/** A `tributary` command running as its own process, with its output lines kept. */
export class TributaryProcess {
  readonly lines: string[] = [];
  stderr = "";
  readonly exited: Promise<number | null>;
  readonly #child: ChildProcess;
  readonly #watchers = new Set<() => void>();

  private constructor(child: ChildProcess) {
    this.#child = child;
    child.stderr?.on("data", (chunk: Buffer) => {
      this.stderr += chunk.toString();
    });
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on("line", (line) => {
      this.lines.push(line);
      for (const watch of this.#watchers) watch();
    });
    // "close": the process exited and its output was read to the end.
    this.exited = new Promise((resolve) => child.once("close", (code) => resolve(code)));
  }

  /** Runs `tributary …args` with `env`. */
  static spawn(args: readonly string[], env: NodeJS.ProcessEnv): TributaryProcess {
    const child = spawn(process.execPath, [TRIBUTARY_BIN, ...args], { env, stdio: ["ignore", "pipe", "pipe"] });
    return new TributaryProcess(child);
  }

  get pid(): number {
    return this.#child.pid as number;
  }

  /** The first output line matching `pattern` (waiting for it); fails with the process's stderr if it exits first. */
  waitFor(pattern: RegExp): Promise<RegExpMatchArray> {
    return new Promise((resolve, reject) => {
      const check = () => {
        for (const line of this.lines) {
          const match = line.match(pattern);
          if (match !== null) {
            this.#watchers.delete(check);
            resolve(match);
            return;
          }
        }
      };
      this.#watchers.add(check);
      check();
      void this.exited.then((code) => {
        if (!this.#watchers.has(check)) return;
        this.#watchers.delete(check);
        reject(new Error(`tributary exited (${code}) before printing ${pattern}: ${this.stderr}`));
      });
    });
  }

  signal(signal: NodeJS.Signals): void {
    this.#child.kill(signal);
  }

  /** Sends `signal` (SIGTERM: a graceful stop) and waits for the exit code. */
  async stop(signal: NodeJS.Signals = "SIGTERM"): Promise<number | null> {
    if (this.#child.exitCode === null && this.#child.signalCode === null) this.#child.kill(signal);
    return this.exited;
  }
}

/** What a `tributary … --json` process printed: its exit code, its last stdout line as JSON, its stderr. */
export interface RanProcess {
  readonly code: number | null;
  readonly json: Record<string, unknown>;
  readonly stderr: string;
}

/** Runs `tributary …args --json` as its own process with `env` and waits for it. */
export async function runTributary(args: readonly string[], env: NodeJS.ProcessEnv): Promise<RanProcess> {
  const run = TributaryProcess.spawn([...args, "--json"], env);
  const code = await run.exited;
  const last = run.lines.at(-1) ?? "";
  return { code, json: last.startsWith("{") ? (JSON.parse(last) as Record<string, unknown>) : {}, stderr: run.stderr };
}

/** The arguments of `tributary provider serve` on any free port, on the wasm backend, announcing to `router`. */
export function serveArgs(options: {
  readonly modelId: bigint | string;
  readonly modelDir: string;
  readonly stateDir: string;
  readonly router: string;
  readonly chainFlags: readonly string[];
  readonly extra?: readonly string[];
}): string[] {
  return [
    "provider",
    "serve",
    "--model",
    String(options.modelId),
    "--model-dir",
    options.modelDir,
    "--port",
    "0",
    "--state-dir",
    options.stateDir,
    "--backend",
    "wasm",
    "--router",
    options.router,
    ...(options.extra ?? []),
    ...options.chainFlags,
  ];
}
