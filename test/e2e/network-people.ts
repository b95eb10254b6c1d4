import { type ChildProcess, spawn } from "node:child_process";
import { mkdir, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import { createInterface } from "node:readline";

// The people of `network.test.ts`, each on a machine of its own: a home directory, a keystore password of its own,
// and its processes, started the way the person would start them (`npx tributary …`, `npx hardhat node`). Every
// command and what it prints goes, as it happens, into one chronological transcript.

export const REPO_ROOT = path.resolve(import.meta.dirname, "../..");
const TRIBUTARY_BIN = path.join(REPO_ROOT, "cli/bin/tributary.js");
const require = createRequire(path.join(REPO_ROOT, "package.json"));
const HARDHAT_BIN = path.join(
  path.dirname(require.resolve("hardhat/package.json")),
  (require("hardhat/package.json") as { bin: { hardhat: string } }).bin.hardhat,
);

/** The transcript of the whole run: each line `person | …`, commands as `person $ …`, with homes shown as `~`. */
export class Transcript {
  readonly lines: string[] = [];
  readonly #width: number;
  readonly #started = performance.now();

  constructor(names: readonly string[]) {
    this.#width = Math.max(...names.map((name) => name.length));
  }

  /** Seconds since the run started, as each line's first column. */
  #elapsed(): string {
    return `${((performance.now() - this.#started) / 1000).toFixed(1).padStart(6)}s`;
  }

  add(person: Person, mark: "$" | "|" | "!", text: string): void {
    const shown = text.replaceAll(person.home, "~").replaceAll(path.dirname(person.home), "…");
    this.lines.push(`${this.#elapsed()} ${person.name.padEnd(this.#width)} ${mark} ${shown}`);
  }

  note(text: string): void {
    this.lines.push(`${this.#elapsed()} # ${text}`);
  }

  async write(file: string): Promise<void> {
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, `${this.lines.join("\n")}\n`);
  }
}

/** What a process printed, and how it ended. */
export interface Finished {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Which output lines go into the transcript (all of a short command's; the telling ones of a chatty server). */
type LineFilter = (line: string) => boolean;

/** One OS process of a person: its output streamed into the transcript line by line, kept whole for the test. */
export class PersonProcess {
  stdout = "";
  stderr = "";
  readonly exited: Promise<Finished>;
  readonly #child: ChildProcess;
  readonly #waiters: { pattern: RegExp; resolve: (line: string) => void }[] = [];

  constructor(
    readonly person: Person,
    command: readonly string[],
    options: { stdin?: string; show?: LineFilter; env?: Record<string, string>; cwd?: string } = {},
  ) {
    this.#child = spawn(process.execPath, command, {
      cwd: options.cwd ?? person.home,
      env: { ...person.env(), ...options.env },
      stdio: [options.stdin === undefined ? "ignore" : "pipe", "pipe", "pipe"],
    });
    if (options.stdin !== undefined) this.#child.stdin?.end(options.stdin);
    const show = options.show ?? (() => true);
    const follow = (stream: NodeJS.ReadableStream | null, stderr: boolean) => {
      if (stream === null) return Promise.resolve();
      const lines = createInterface({ input: stream });
      lines.on("line", (line) => {
        if (stderr) this.stderr += `${line}\n`;
        else this.stdout += `${line}\n`;
        if (stderr ? /^tributary: /.test(line) : show(line)) person.transcript.add(person, stderr ? "!" : "|", line);
        for (const waiter of this.#waiters.filter((w) => w.pattern.test(line))) {
          this.#waiters.splice(this.#waiters.indexOf(waiter), 1);
          waiter.resolve(line);
        }
      });
      return new Promise<void>((resolve) => lines.once("close", resolve));
    };
    const streams = Promise.all([follow(this.#child.stdout, false), follow(this.#child.stderr, true)]);
    const exit = new Promise<number | null>((resolve) => this.#child.once("exit", (code) => resolve(code)));
    this.exited = Promise.all([exit, streams]).then(([code]) => ({ code, stdout: this.stdout, stderr: this.stderr }));
  }

  get running(): boolean {
    return this.#child.exitCode === null && this.#child.signalCode === null;
  }

  /** The first line (from now on) matching `pattern`; rejects when the process exits first or after `timeoutMs`. */
  waitFor(pattern: RegExp, what: string, timeoutMs = 120_000): Promise<string> {
    return new Promise<string>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`${this.person.name}: no ${what} after ${timeoutMs} ms`)),
        timeoutMs,
      );
      this.#waiters.push({
        pattern,
        resolve: (line) => {
          clearTimeout(timer);
          resolve(line);
        },
      });
      void this.exited.then(({ code }) => {
        clearTimeout(timer);
        reject(
          new Error(
            `${this.person.name}: exited (${code}) before ${what}:\n${this.stdout.slice(-3000)}${this.stderr.slice(-3000)}`,
          ),
        );
      });
    });
  }

  /** SIGTERM, then SIGKILL if it has not exited after `graceMs`; resolves once it is gone. */
  async stop(graceMs = 10_000): Promise<void> {
    if (!this.running) return;
    this.#child.kill("SIGTERM");
    const killer = setTimeout(() => this.#child.kill("SIGKILL"), graceMs);
    await this.exited;
    clearTimeout(killer);
  }
}

/** A person of the network: a home directory (its machine), its keystore password, its processes. */
export class Person {
  readonly processes: PersonProcess[] = [];

  constructor(
    readonly name: string,
    readonly home: string,
    readonly transcript: Transcript,
    /** The password of this person's keystore, in TRIBUTARY_KEYSTORE_PASSWORD of its processes only. */
    private readonly password: string,
  ) {}

  /** The environment of this person's processes: nothing of the test's own TRIBUTARY_* settings, nobody else's. */
  env(): NodeJS.ProcessEnv {
    const inherited = Object.entries(process.env).filter(
      ([name]) => !name.startsWith("TRIBUTARY_") && name !== "DATABASE_URL",
    );
    return {
      ...Object.fromEntries(inherited),
      CI: "true",
      NO_COLOR: "1",
      FORCE_COLOR: "0",
      TRIBUTARY_KEYSTORE_PASSWORD: this.password,
    };
  }

  /** Starts `tributary ARGS` in the person's home without waiting (a trainer, the coordinator, `job watch`). */
  start(args: readonly string[], options: { stdin?: string; show?: LineFilter; env?: Record<string, string> } = {}) {
    const env = Object.entries(options.env ?? {}).map(([name, value]) => `${name}=${value} `);
    const stdin = options.stdin === undefined ? "" : " < (the key on stdin)";
    this.transcript.add(this, "$", `${env.join("")}npx tributary ${args.join(" ")}${stdin}`);
    const started = new PersonProcess(this, [TRIBUTARY_BIN, ...args], options);
    this.processes.push(started);
    return started;
  }

  /** Runs `tributary ARGS` to the end and returns what it printed; throws, with its output, on an unexpected exit code. */
  async run(args: readonly string[], options: { stdin?: string; expectCode?: number } = {}): Promise<Finished> {
    const finished = await this.start(args, options).exited;
    if (finished.code !== (options.expectCode ?? 0)) {
      throw new Error(
        `${this.name}: tributary ${args.join(" ")} exited ${finished.code}\n${finished.stdout}${finished.stderr}`,
      );
    }
    return finished;
  }

  /** `npx hardhat node …` in a checkout of the repository (the Hardhat project), as a chain's operator starts it. */
  hardhatNode(args: readonly string[], show: LineFilter) {
    this.transcript.add(this, "$", `npx hardhat node ${args.join(" ")}`);
    const started = new PersonProcess(this, [HARDHAT_BIN, "node", ...args], { show, cwd: REPO_ROOT });
    this.processes.push(started);
    return started;
  }

  async stopAll(): Promise<void> {
    await Promise.all(this.processes.map((child) => child.stop()));
  }
}
