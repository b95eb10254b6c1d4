// `npm run graph`: renders the workspace dependency graph, as dependency-cruiser sees it with the repository's
// rules (.dependency-cruiser.cjs), to docs/package-graph.svg. Graphviz runs as WebAssembly (@viz-js/viz), so
// nothing but npm packages is needed.
import { execFile } from "node:child_process";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import { instance } from "@viz-js/viz";

const root = path.resolve(import.meta.dirname, "..");
// Every workspace of the root package (the layering itself is in .dependency-cruiser.cjs).
const workspaces = (await import("../package.json", { with: { type: "json" } })).default.workspaces as string[];
const sources = workspaces.flatMap((name) =>
  name === "contracts" ? ["contracts/abi", "contracts/ts", "contracts/typed"] : [`${name}/src`],
);

const { stdout: dot } = await promisify(execFile)(
  "depcruise",
  [
    "--config",
    ".dependency-cruiser.cjs",
    "--output-type",
    "dot",
    "--collapse",
    "^[^/]+/",
    "--include-only",
    `^(${workspaces.join("|")})/`,
    "--exclude",
    "\\.test\\.ts$|/bench/|/testing/",
    ...sources,
  ],
  { cwd: root, maxBuffer: 64 * 1024 * 1024 },
);
const svg = (await instance()).renderString(dot, { format: "svg", engine: "dot" });
const out = path.join(root, "docs/package-graph.svg");
await writeFile(out, svg);
process.stdout.write(`wrote ${path.relative(root, out)} (${sources.length} source folders)\n`);
