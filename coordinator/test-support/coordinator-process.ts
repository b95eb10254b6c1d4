import { type ChildProcess, spawn } from "node:child_process";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";
import { until } from "./rest.js";

const MAIN = fileURLToPath(new URL("../dist/main.js", import.meta.url));

/** A free TCP port on 127.0.0.1 (so a restarted coordinator can come back on the same one). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() =>
        typeof address === "object" && address !== null ? resolve(address.port) : reject(new Error("no port")),
      );
    });
  });
}

/**
 * The coordinator as its own OS process (the built `coordinator/dist/main.js`, configured by environment
 * variables), so a test can SIGKILL it at any instant and start it again on the same state.
 */
export class CoordinatorProcess {
  readonly #child: ChildProcess;
  readonly url: string;
  output = "";

  private constructor(child: ChildProcess, url: string) {
    this.#child = child;
    this.url = url;
    child.stdout?.on("data", (chunk: Buffer) => {
      this.output += chunk.toString();
    });
    child.stderr?.on("data", (chunk: Buffer) => {
      this.output += chunk.toString();
    });
  }

  static async start(port: number, env: Record<string, string>): Promise<CoordinatorProcess> {
    const child = spawn(process.execPath, [MAIN], {
      env: { ...process.env, TRIBUTARY_PORT: String(port), TRIBUTARY_HOST: "127.0.0.1", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const coordinator = new CoordinatorProcess(child, `http://127.0.0.1:${port}`);
    await until(
      "the coordinator to listen",
      async () => {
        if (child.exitCode !== null) throw new Error(`coordinator exited: ${coordinator.output}`);
        return fetch(`${coordinator.url}/health`).then(
          (response) => (response.ok ? true : undefined),
          () => undefined,
        );
      },
      60_000,
    );
    return coordinator;
  }

  /** The operating system's id of the process. */
  get pid(): number | undefined {
    return this.#child.pid;
  }

  /** Kills the process without any chance to clean up, and waits until it is gone. */
  async kill(): Promise<void> {
    if (this.#child.exitCode !== null || this.#child.signalCode !== null) return;
    const gone = new Promise((resolve) => this.#child.once("exit", resolve));
    this.#child.kill("SIGKILL");
    await gone;
  }
}
