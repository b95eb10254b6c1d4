import { readFile } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type MetricFamilies, metricFamilies, startEveryService } from "./exported-metrics.js";

interface Panel {
  type: string;
  title: string;
  targets?: { expr: string }[];
}

const DASHBOARD = new URL("../../ops/grafana/tributary.json", import.meta.url);

/** PromQL words that are not metric names. */
const KEYWORDS = new Set([
  "by",
  "without",
  "on",
  "ignoring",
  "group_left",
  "group_right",
  "bool",
  "and",
  "or",
  "unless",
  "offset",
  "inf",
  "nan",
]);

/**
 * The metric names a PromQL expression selects: label values, label lists (`by (…)`), matchers (`{…}`) and range
 * durations removed, every identifier left that is not a function call (followed by `(`) or a keyword.
 */
function metricNames(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, "")
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, "")
    .replace(/\[[^\]]*\]/g, "")
    .replace(/\boffset\s+-?[0-9a-z]+/g, "");
  return [...stripped.matchAll(/(?<![\w:.])([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(\(?)/g)]
    .filter((match) => match[2] === "")
    .map((match) => match[1] as string)
    .filter((name) => !KEYWORDS.has(name.toLowerCase()));
}

/** Whether `name` is a series of an exported family: the family itself, or a histogram's/summary's series. */
function exported(name: string, families: MetricFamilies): boolean {
  if (families.has(name)) return true;
  const base = /^(.*)_(bucket|sum|count)$/.exec(name)?.[1];
  const type = base === undefined ? undefined : families.get(base);
  return type === "histogram" || (type === "summary" && !name.endsWith("_bucket"));
}

describe("the Grafana dashboard ops/grafana/tributary.json", () => {
  let services: Awaited<ReturnType<typeof startEveryService>>;
  const families: MetricFamilies = new Map();

  beforeAll(async () => {
    services = await startEveryService();
    for (const url of Object.values(services.metricsUrls)) {
      for (const [name, type] of await metricFamilies(url)) families.set(name, type);
    }
  }, 120_000);

  afterAll(async () => {
    await services?.stop();
  });

  it("queries only metrics the running coordinator, provider, router and trainer export", async () => {
    const dashboard = JSON.parse(await readFile(DASHBOARD, "utf8")) as { uid: string; panels: Panel[] };
    const queried = new Set<string>();
    const unknown: string[] = [];
    for (const panel of dashboard.panels.filter((p) => p.type !== "row")) {
      expect(panel.targets?.length ?? 0, panel.title).toBeGreaterThan(0);
      for (const { expr } of panel.targets ?? []) {
        const names = metricNames(expr);
        expect(names.length, `${panel.title}: ${expr}`).toBeGreaterThan(0);
        for (const name of names) {
          queried.add(name.replace(/_(bucket|sum|count)$/, ""));
          if (!exported(name, families)) unknown.push(`${panel.title}: ${name}`);
        }
      }
    }
    expect(unknown).toEqual([]);
    // And the other way round: every Tributary metric any service exports has a panel.
    const unshown = [...families.keys()].filter((name) => name.startsWith("tributary_") && !queried.has(name));
    expect(unshown).toEqual([]);
  });

  it("reads metric names out of PromQL as Prometheus would select them (the parser the check relies on)", () => {
    expect(
      metricNames(
        'histogram_quantile(0.95, sum by (le, job) (rate(tributary_http_request_duration_seconds_bucket{route="/jobs/:id"}[5m])))',
      ),
    ).toEqual(["tributary_http_request_duration_seconds_bucket"]);
    expect(metricNames("sum(rate(a_total[5m])) / ignoring (x) group_left b_total offset 5m")).toEqual([
      "a_total",
      "b_total",
    ]);
  });
});
