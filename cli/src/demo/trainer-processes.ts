import { type ChildProcess, spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import type { ByzantineAttack } from "./byzantine-spec.js";

/**
 * What starts `tributary`: the compiled CLI (bin/ → dist/); or, when this module itself runs from TypeScript
 * source (tsx with the `@tributary/source` condition, as the benchmarks do), the CLI's source entry with this
 * process's loader flags, so the trainers run the same code as the coordinator beside them and no stale build.
 * A Byzantine trainer runs the demo's own entry beside this module (`byzantine-trainer`) the same way.
 */
const FROM_SOURCE = import.meta.url.endsWith(".ts");
const ENTRY = FROM_SOURCE
  ? [...process.execArgv, fileURLToPath(new URL("../main.ts", import.meta.url))]
  : [fileURLToPath(new URL("../../bin/tributary.js", import.meta.url))];
const BYZANTINE_ENTRY = [
  ...(FROM_SOURCE ? process.execArgv : []),
  fileURLToPath(new URL(`./byzantine-trainer.${FROM_SOURCE ? "ts" : "js"}`, import.meta.url)),
];

export interface TrainerEvent {
  readonly type: string;
  readonly [key: string]: unknown;
}

export interface TrainerProcessOptions {
  readonly index: number;
  readonly privateKey: string;
  readonly args: readonly string[];
  /** Robustness testing: run as a Byzantine trainer playing this attack (the demo's `byzantine-trainer`). */
  readonly attack?: ByzantineAttack | undefined;
  readonly onEvent: (index: number, event: TrainerEvent) => void;
  readonly onLine: (index: number, line: string) => void;
}

/**
 * A trainer agent running as its own OS process (`tributary trainer … --json-events`), as a data owner would run
 * it next to their data, or `byzantine-trainer ATTACK …` with the same options. Its key travels in the
 * environment, never on the command line.
 */
export class TrainerProcess {
  readonly #child: ChildProcess;
  readonly exited: Promise<number | null>;
  /** The exit code once the process has exited (null when killed by a signal), else undefined. */
  exitedCode: number | null | undefined;

  constructor(options: TrainerProcessOptions) {
    // The data owner's process gets its own key and none of the demo's other parties' keys.
    const { TRIBUTARY_RESEARCHER_KEY: _researcher, TRIBUTARY_COORDINATOR_KEY: _coordinator, ...env } = process.env;
    const command = options.attack === undefined ? [...ENTRY, "trainer"] : [...BYZANTINE_ENTRY, options.attack];
    this.#child = spawn(process.execPath, [...command, ...options.args, "--json-events"], {
      env: { ...env, TRIBUTARY_TRAINER_KEY: options.privateKey },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const lines = (stream: NodeJS.ReadableStream, json: boolean) =>
      createInterface({ input: stream }).on("line", (line) => {
        if (json && line.startsWith("{")) {
          try {
            options.onEvent(options.index, JSON.parse(line) as TrainerEvent);
            return;
          } catch {
            // not an event: fall through and show it as text
          }
        }
        options.onLine(options.index, line);
      });
    if (this.#child.stdout !== null) lines(this.#child.stdout, true);
    if (this.#child.stderr !== null) lines(this.#child.stderr, false);
    this.exited = new Promise((resolve) =>
      this.#child.once("exit", (code) => {
        this.exitedCode = code;
        resolve(code);
      }),
    );
  }

  get pid(): number | undefined {
    return this.#child.pid;
  }

  async stop(): Promise<void> {
    if (this.#child.exitCode === null && this.#child.signalCode === null) {
      this.#child.kill("SIGTERM");
      const timer = setTimeout(() => this.#child.kill("SIGKILL"), 5000);
      await this.exited;
      clearTimeout(timer);
    }
  }
}
