import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { type Coordinator, createCoordinator } from "@tributary/coordinator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../../coordinator/test-support/coordinator-process.js";
import { runOneRoundJob } from "../../coordinator/test-support/one-round-job.js";
import { until } from "../../coordinator/test-support/rest.js";

/** Debian's `prometheus` package (`apt-get install -y prometheus`; .ci/run installs it). */
const PROMETHEUS = process.env.PROMETHEUS_BIN ?? "/usr/bin/prometheus";
const TOKEN = "prometheus-scrape-token-42";

interface Vector {
  status: string;
  data: { resultType: string; result: { metric: Record<string, string>; value: [number, string] }[] };
}

describe("a real Prometheus scraping a running coordinator", () => {
  let dir: string;
  let coordinator: Coordinator;
  let prometheus: ChildProcess;
  let api: string;
  let output = "";

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "tributary-prometheus-"));
    coordinator = await createCoordinator(
      { port: 0, dataDir: path.join(dir, "coordinator"), tickSeconds: 0.1, metricsToken: TOKEN },
      { logger: false },
    );
    const job = await runOneRoundJob(coordinator.url);
    job.trainer.close();
    const target = new URL(coordinator.url).host;
    const config = path.join(dir, "prometheus.yml");
    await writeFile(
      config,
      [
        "global:",
        "  scrape_interval: 1s",
        "  evaluation_interval: 1s",
        "scrape_configs:",
        "  - job_name: coordinator",
        "    metrics_path: /metrics",
        "    authorization:",
        `      credentials: ${TOKEN}`,
        "    static_configs:",
        `      - targets: ["${target}"]`,
        "",
      ].join("\n"),
    );
    const port = await freePort();
    api = `http://127.0.0.1:${port}`;
    prometheus = spawn(
      PROMETHEUS,
      [
        `--config.file=${config}`,
        `--storage.tsdb.path=${path.join(dir, "tsdb")}`,
        `--web.listen-address=127.0.0.1:${port}`,
      ],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    prometheus.stdout?.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    prometheus.stderr?.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    prometheus.once("error", (error) => {
      output += `cannot start ${PROMETHEUS} (apt-get install -y prometheus): ${error.message}`;
    });
  }, 120_000);

  afterAll(async () => {
    if (prometheus !== undefined && prometheus.exitCode === null) {
      const gone = new Promise((resolve) => prometheus.once("exit", resolve));
      prometheus.kill("SIGTERM");
      await gone;
    }
    await coordinator?.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function query(promql: string): Promise<Vector["data"]["result"]> {
    if (prometheus.exitCode !== null || prometheus.signalCode !== null) {
      throw new Error(`prometheus exited: ${output}`);
    }
    const response = await fetch(`${api}/api/v1/query?query=${encodeURIComponent(promql)}`).catch(() => undefined);
    if (response === undefined || !response.ok) return [];
    const body = (await response.json()) as Vector;
    return body.status === "success" ? body.data.result : [];
  }

  it("scrapes /metrics with the bearer token and answers, through its query API, the round that ran", async () => {
    const up = await until(
      "Prometheus to scrape the coordinator",
      async () => {
        const result = await query('up{job="coordinator"}');
        return result.length > 0 && result[0]?.value[1] === "1" ? result : undefined;
      },
      60_000,
    );
    expect(up[0]?.metric.instance).toBe(new URL(coordinator.url).host);
    const rounds = await until("tributary_rounds_total in Prometheus", async () => {
      const result = await query("tributary_rounds_total");
      return result.length === 2 ? result : undefined;
    });
    expect(Object.fromEntries(rounds.map((r) => [r.metric.kind, Number(r.value[1])]))).toEqual({
      train: 1,
      evaluate: 1,
    });
    const completed = await query('tributary_jobs{status="completed"}');
    expect(completed.map((r) => Number(r.value[1]))).toEqual([1]);
    const accepted = await query("sum(tributary_updates_accepted_total)");
    expect(accepted.map((r) => Number(r.value[1]))).toEqual([1]);
  });
});
