// `npm run bench:portal`: the portal's main bundle size (gzipped) and its first load on loopback, measured in Debian's
// chromium against a real coordinator serving the build: navigation start to the first meaningful render (the
// welcome page's roles; then the auditor page's job list, which loads the role's chunks). Baseline, same run and
// server: a static page with no script. Goals: main bundle ≤ 300 kB gzipped, first load ≤ 1 s.
import { readdir, readFile } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { gzipSync } from "node:zlib";
import { CoordinatorProcess, freePort } from "../coordinator/test-support/coordinator-process.js";
import { ensurePortalBuilt, launchChromium } from "../test/e2e/helpers/portal-browser.js";

const RUNS = 10;
const GOAL_BUNDLE_KB = 300;
const GOAL_LOAD_MS = 1_000;

const dist = await ensurePortalBuilt();
const html = await readFile(path.join(dist, "index.html"), "utf8");
const entry = /<script type="module" crossorigin src="\/portal\/(assets\/[^"]+\.js)"/.exec(html)?.[1];
if (entry === undefined) throw new Error("no entry script in dist/index.html");
const gz = async (file: string) => gzipSync(await readFile(path.join(dist, file))).length / 1024;
const mainKb = await gz(entry);
const assets = (await readdir(path.join(dist, "assets"))).filter((name) => name.endsWith(".js"));
let allKb = 0;
for (const name of assets) allKb += await gz(path.join("assets", name));

// The coordinator as its own process (its build, as an operator runs it), serving the portal.
const coordinator = await CoordinatorProcess.start(await freePort(), {
  TRIBUTARY_DATA_DIR: path.join(tmpdir(), `tributary-portal-bench-${process.pid}`),
  TRIBUTARY_PORTAL_DIR: dist,
});
const browser = await launchChromium();
// Baseline: a page with no script from a plain node:http server on loopback.
const plain = createServer((_, response) => {
  response.writeHead(200, { "content-type": "text/html" }).end('<!doctype html><h1 data-ready="baseline">hello</h1>');
});
await new Promise<void>((resolve) => plain.listen(0, "127.0.0.1", resolve));
const plainUrl = `http://127.0.0.1:${(plain.address() as AddressInfo).port}/`;

/** Milliseconds from navigation start until `selector` is in the document, in a fresh (cold-cache) context. */
async function firstRender(url: string, selector: string): Promise<number> {
  const context = await browser.newContext();
  const page = await context.newPage();
  // A string, not a function: tsx's helpers (keepNames) do not exist in the page.
  await page.addInitScript(`
    const wanted = ${JSON.stringify(selector)};
    const mark = () => {
      if (document.querySelector(wanted) === null) return false;
      window.__rendered = performance.now();
      return true;
    };
    if (!mark()) {
      new MutationObserver((_, observer) => mark() && observer.disconnect()).observe(document, { subtree: true, childList: true });
    }
  `);
  await page.goto(url);
  await page.waitForSelector(selector);
  const ms = (await page.evaluate("window.__rendered")) as number;
  await context.close();
  return ms;
}

function stats(samples: number[]) {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number;
  return { median: at(0.5), p90: at(0.9) };
}

const base = coordinator.url;
const measure = async (url: string, selector: string) => {
  await firstRender(url, selector); // warm the server, not the browser (each run is a fresh context)
  const samples: number[] = [];
  for (let i = 0; i < RUNS; i++) samples.push(await firstRender(url, selector));
  return stats(samples);
};
try {
  const baseline = await measure(plainUrl, "[data-ready=baseline]");
  const welcome = await measure(`${base}/portal/`, "[data-ready=welcome]");
  const auditor = await measure(`${base}/portal/#/auditor`, "#jobs-heading ~ .empty, #jobs-heading ~ table");
  const rows = [
    ["main bundle (gzip)", `${mainKb.toFixed(1)} kB`, `≤ ${GOAL_BUNDLE_KB} kB`],
    ["all scripts (gzip)", `${allKb.toFixed(1)} kB`, "—"],
    ["baseline: no-script page", `${baseline.median.toFixed(0)} ms (p90 ${baseline.p90.toFixed(0)})`, "—"],
    [
      "first render: welcome",
      `${welcome.median.toFixed(0)} ms (p90 ${welcome.p90.toFixed(0)})`,
      `≤ ${GOAL_LOAD_MS} ms`,
    ],
    [
      "first render: auditor jobs",
      `${auditor.median.toFixed(0)} ms (p90 ${auditor.p90.toFixed(0)})`,
      `≤ ${GOAL_LOAD_MS} ms`,
    ],
  ];
  for (const [what, value, goal] of rows) process.stdout.write(`${what?.padEnd(28)} ${value?.padEnd(26)} ${goal}\n`);
  process.stdout.write(
    `${JSON.stringify({
      bench: "portal",
      runs: RUNS,
      mainBundleGzipKb: Number(mainKb.toFixed(1)),
      allScriptsGzipKb: Number(allKb.toFixed(1)),
      baselineMs: Math.round(baseline.median),
      welcomeMs: Math.round(welcome.median),
      welcomeP90Ms: Math.round(welcome.p90),
      auditorMs: Math.round(auditor.median),
      auditorP90Ms: Math.round(auditor.p90),
      bundleGoalMet: mainKb <= GOAL_BUNDLE_KB,
      loadGoalMet: welcome.p90 <= GOAL_LOAD_MS && auditor.p90 <= GOAL_LOAD_MS,
    })}\n`,
  );
} finally {
  await browser.close();
  plain.close();
  await coordinator.kill();
}
