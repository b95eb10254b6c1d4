/**
 * Summarises a V8 `.cpuprofile` (from `node --cpu-prof` or `profiled()`) by where the self time went: by kind of
 * work, by package or workspace file, and by function, optionally within a time window.
 * `tsx --conditions=@tributary/source coordinator/bench/profile-summary.ts <file.cpuprofile> [fromMs toMs]` (the window
 * `bench:coordinator --profile` prints for each file).
 */
import { readFileSync } from "node:fs";

interface ProfileNode {
  readonly id: number;
  readonly children?: readonly number[];
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
}

export interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
  readonly startTime: number;
  readonly endTime: number;
}

/** `node_modules/<pkg>` (innermost, scoped too), `<workspace>/<file>`, `node:` internals, or V8's own buckets. */
export function bucketOf(url: string, functionName: string): string {
  if (url === "") return functionName.startsWith("(") ? functionName : "(native)";
  const modules = [...url.matchAll(/node_modules\/((?:@[^/]+\/)?[^/]+)\//g)].at(-1);
  if (modules !== undefined) return modules[1] as string;
  if (url.startsWith("node:")) return url;
  if (url.startsWith("wasm://")) return "(wasm)";
  const workspace = /\/([^/]+)\/(?:src|test-support|bench)\/([^?]*)/.exec(url);
  if (workspace !== null) return `${workspace[1]}/${workspace[2]}`;
  return url;
}

/** Coarse kinds of work, for the report. The only WebAssembly in the coordinator process is PGlite's. */
const KINDS: [string, RegExp][] = [
  ["database: PGlite (wasm + js + socket)", /^(\(wasm\)|@electric-sql\/)/],
  ["database: TypeORM + node-postgres", /^(typeorm|pg|pg-protocol|pg-pool|pg-types|postgres-\w+|buffer-writer)$/],
  [
    "signatures (EIP-712 hash, secp256k1 recovery)",
    /^(ethers|@noble\/|@adraffy\/|js-sha3|secp256k1|tiny-secp256k1|signatures\/)/,
  ],
  [
    "sockets: ws / engine.io / socket.io",
    /^(ws|engine\.io|engine\.io-parser|socket\.io|socket\.io-parser|socket\.io-adapter)$/,
  ],
  ["aggregation + validation", /^aggregation\//],
  ["coordinator code", /^coordinator\//],
  ["NestJS / express", /^(@nestjs\/|express|router|body-parser|rxjs)/],
  ["zod (message parsing)", /^zod$/],
  ["node internals (streams, fs, net, crypto)", /^node:/],
  ["native (writev, hashing, fs, copies)", /^\(native\)$/],
  ["garbage collector", /^\(garbage collector\)$/],
  ["idle", /^\(idle\)$/],
];

const kindOf = (bucket: string) => KINDS.find(([, pattern]) => pattern.test(bucket))?.[0] ?? "other";

export interface SummaryOptions {
  /** Only samples between these offsets from the profile's start, in milliseconds. */
  readonly fromMs?: number;
  readonly toMs?: number;
  readonly top?: number;
}

export function summarise(profile: CpuProfile, options: SummaryOptions = {}): string {
  const { fromMs = 0, toMs = Number.POSITIVE_INFINITY, top = 15 } = options;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfUs = new Map<number, number>();
  let offsetUs = 0;
  let windowUs = 0;
  profile.samples.forEach((id, index) => {
    const delta = profile.timeDeltas[index] ?? 0;
    offsetUs += delta;
    if (offsetUs < fromMs * 1000 || offsetUs > toMs * 1000) return;
    selfUs.set(id, (selfUs.get(id) ?? 0) + delta);
    windowUs += delta;
  });
  const kinds = new Map<string, number>();
  const buckets = new Map<string, number>();
  const functions = new Map<string, number>();
  const add = (map: Map<string, number>, key: string, us: number) => map.set(key, (map.get(key) ?? 0) + us);
  for (const [id, us] of selfUs) {
    const node = byId.get(id);
    if (node === undefined) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    const bucket = bucketOf(url, functionName);
    add(kinds, kindOf(bucket), us);
    add(buckets, bucket, us);
    add(functions, `${functionName || "(anonymous)"} ${bucket}:${lineNumber + 1}`, us);
  }
  const lines = [`${(windowUs / 1e6).toFixed(2)} s of samples`];
  const table = (title: string, entries: Map<string, number>, rows: number) => {
    lines.push(title);
    for (const [name, us] of [...entries].sort((a, b) => b[1] - a[1]).slice(0, rows)) {
      lines.push(
        `${(us / 1000).toFixed(0).padStart(8)} ms ${((100 * us) / windowUs).toFixed(1).padStart(5)}%  ${name}`,
      );
    }
  };
  table("self time by kind of work:", kinds, KINDS.length + 1);
  table("self time by package / file:", buckets, top);
  table("self time by function:", functions, top);
  table(
    "time by function with what it calls (the coordinator's and workspaces' own code):",
    inclusive(profile, selfUs),
    top,
  );
  return lines.join("\n");
}

/**
 * Time spent in each workspace function together with everything it called (each sample counted once per function
 * on its stack): where whole operations (an update's checks, the round's Merkle tree) cost, not only their leaves.
 */
function inclusive(profile: CpuProfile, selfUs: ReadonlyMap<number, number>): Map<string, number> {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const totals = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const node = byId.get(at);
      if (node === undefined) break;
      const bucket = bucketOf(node.callFrame.url, node.callFrame.functionName);
      // Workspace files only (`coordinator/…`, `protocol/…`): packages and node internals are in the tables above.
      if (!/^[a-z-]+\/[^/]/.test(bucket) || bucket.startsWith("node:")) continue;
      const key = `${node.callFrame.functionName || "(anonymous)"} ${bucket}`;
      if (seen.has(key)) continue;
      seen.add(key);
      totals.set(key, (totals.get(key) ?? 0) + us);
    }
  }
  return totals;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const file = process.argv[2];
  if (file === undefined) throw new Error("usage: profile-summary.ts <file.cpuprofile> [fromMs toMs]");
  const [fromMs, toMs] = process.argv.slice(3).map(Number);
  process.stdout.write(
    `${summarise(JSON.parse(readFileSync(file, "utf8")) as CpuProfile, { top: 30, ...(fromMs === undefined ? {} : { fromMs }), ...(toMs === undefined ? {} : { toMs }) })}\n`,
  );
}
