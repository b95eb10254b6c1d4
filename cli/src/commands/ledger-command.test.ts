import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { LocalChain } from "@tributary/contracts/local-chain";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import {
  type LedgerServer,
  type PlayedJob,
  playJob,
  startLedgerServer,
} from "../../../auditor/test-support/ledger-job.js";
import { buildProgram } from "../program.js";
import { resolveTrainingJobs } from "./training-jobs-address.js";

let chain: LocalChain;
let server: LedgerServer;
let job: PlayedJob;
let trainingJobs: string;
/** A port with nothing listening (taken from the system, then released). */
let deadPort: number;

beforeAll(async () => {
  chain = await LocalChain.start();
  server = await startLedgerServer();
  trainingJobs = chain.system.deployment.contracts.TrainingJobs;
  job = await playJob(chain, { rounds: 2, trainers: 3, scoring: "leave-one-out" });
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  deadPort = (probe.address() as { port: number }).port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
});

afterAll(async () => {
  await server?.close();
  await chain?.stop();
});

afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
  process.exitCode = undefined;
});

class ExitCalled extends Error {
  constructor(readonly code: number | undefined) {
    super(`process.exit(${code})`);
  }
}

/** Runs `tributary …args` in process through `buildProgram()`; returns its exit code and what it printed. */
async function tributary(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
    stdout += String(chunk);
    return true;
  });
  vi.spyOn(process.stderr, "write").mockImplementation((chunk: string | Uint8Array) => {
    stderr += String(chunk);
    return true;
  });
  // Commander's own usage errors end in process.exit: observe the code instead of ending the test runner.
  vi.spyOn(process, "exit").mockImplementation((code?: string | number | null) => {
    throw new ExitCalled(code === null || code === undefined ? undefined : Number(code));
  });
  process.exitCode = undefined;
  let code: number;
  try {
    await buildProgram().parseAsync(["node", "tributary", ...args]);
    code = Number(process.exitCode ?? 0);
  } catch (error) {
    if (!(error instanceof ExitCalled)) throw error;
    code = error.code ?? 0;
  } finally {
    vi.restoreAllMocks();
    process.exitCode = undefined;
  }
  return { code, stdout, stderr };
}

const verify = (...extra: string[]) => [
  "ledger",
  "verify",
  "--job",
  String(job.jobId),
  "--rpc",
  chain.url,
  "--coordinator",
  server.url,
  "--training-jobs",
  trainingJobs,
  ...extra,
];

/** The one JSON line of `--json` output. */
function jsonLine(stdout: string): Record<string, unknown> {
  const lines = stdout.trim().split("\n");
  expect(lines).toHaveLength(1);
  return JSON.parse(lines[0] as string) as Record<string, unknown>;
}

describe("tributary ledger verify", () => {
  it("exits 0 and prints one JSON line for a faithful ledger", async () => {
    server.serve(job);
    const result = await tributary(...verify("--json"));
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(jsonLine(result.stdout)).toMatchObject({
      ok: true,
      jobId: String(job.jobId),
      chainId: "31337",
      trainingJobs,
      trainingJobsSource: "option",
      checked: { rounds: 2, leaves: 6, blobs: 8, blobsUnreachable: 0, payouts: 3 },
      disagreements: [],
    });
    const human = await tributary(...verify());
    expect(human.code).toBe(0);
    expect(human.stdout).toContain("checked 2 rounds, 6 leaves, 8 blobs (0 not reachable, not checked), 3 payouts");
    expect(human.stdout).toContain("OK: every root, hash and payout in the ledger agrees with the chain");
  });

  it("exits 1 listing every disagreement when a leaf was altered", async () => {
    server.serve(job);
    const ledger = job.ledger();
    const leaf = ledger.rounds[1]?.leaves[0];
    if (leaf === undefined) throw new Error("no leaf");
    leaf.score = String(BigInt(leaf.score) - 10n ** 15n);
    server.state.ledgers.set(String(job.jobId), ledger);
    const result = await tributary(...verify("--json"));
    expect(result.code).toBe(1);
    const report = jsonLine(result.stdout) as {
      ok: boolean;
      disagreements: { kind: string; round?: number; trainer?: string }[];
    };
    expect(report.ok).toBe(false);
    expect(report.disagreements).toContainEqual(
      expect.objectContaining({ kind: "leaf", round: 2, trainer: leaf.trainer }),
    );
    const human = await tributary(...verify());
    expect(human.code).toBe(1);
    const listed = human.stdout.split("\n").filter((line) => line.startsWith("  ["));
    expect(listed).toHaveLength(report.disagreements.length);
    expect(human.stdout).toContain(`FAILED: ${report.disagreements.length} disagreements:`);
    expect(listed).toContainEqual(
      expect.stringMatching(new RegExp(`^ {2}\\[leaf\\] round 2: leaf of ${leaf.trainer}`)),
    );
  });

  it("exits 2 when the coordinator, the ledger or the RPC cannot be had", async () => {
    server.serve(job);
    const offline = await tributary(
      ...verify("--json").map((arg) => (arg === server.url ? `http://127.0.0.1:${deadPort}` : arg)),
    );
    expect(offline.code).toBe(2);
    expect(offline.stderr).toMatch(
      /^tributary: cannot reach the coordinator at http:\/\/127\.0\.0\.1:\d+\/ledger\/jobs\//,
    );
    expect(jsonLine(offline.stdout)).toMatchObject({ ok: false, error: { code: "COORDINATOR_UNREACHABLE" } });

    const unknown = await tributary(...verify().map((arg) => (arg === String(job.jobId) ? "999" : arg)));
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("answered 404: job 999 has no ledger");

    const noRpc = await tributary(...verify().map((arg) => (arg === chain.url ? `http://127.0.0.1:${deadPort}` : arg)));
    expect(noRpc.code).toBe(2);
    expect(noRpc.stderr).toContain(`cannot reach the JSON-RPC endpoint http://127.0.0.1:${deadPort}`);
  });

  it("exits 2 for usage errors, naming the option", async () => {
    const badJob = await tributary(...verify().map((arg) => (arg === String(job.jobId) ? "abc" : arg)));
    expect(badJob.code).toBe(2);
    expect(badJob.stderr).toContain("ledger verify options.job");
    const missing = await tributary("ledger", "verify", "--job", "1");
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("required option '--rpc <url>' not specified");
  });
});

describe("tributary claim", () => {
  it("claims once with the trainer's key from TRIBUTARY_TRAINER_KEY (exit 0), then refuses (exit 1)", async () => {
    server.serve(job);
    const trainer = job.trainers[1];
    if (trainer === undefined) throw new Error("no trainer");
    const args = ["claim", "--job", String(job.jobId), "--rpc", chain.url, "--coordinator", server.url];
    const noKey = await tributary(...args, "--training-jobs", trainingJobs);
    expect(noKey.code).toBe(2);
    expect(noKey.stderr).toContain("set TRIBUTARY_TRAINER_KEY");

    vi.stubEnv("TRIBUTARY_TRAINER_KEY", trainer.privateKey);
    const before = await chain.tokenBalance(trainer.address);
    const first = await tributary(...args, "--training-jobs", trainingJobs, "--json");
    const paid = job.plan.leaves.find((leaf) => leaf.trainer === trainer.address.toLowerCase())?.amount;
    expect(first.code).toBe(0);
    expect(jsonLine(first.stdout)).toMatchObject({
      ok: true,
      trainer: trainer.address.toLowerCase(),
      amount: String(paid),
    });
    expect((await chain.tokenBalance(trainer.address)) - before).toBe(paid);

    const second = await tributary(...args, "--training-jobs", trainingJobs);
    expect(second.code).toBe(1);
    expect(second.stderr).toMatch(
      /^tributary: claim refused: 0x[0-9a-f]{40} has already claimed its payout from job \d+/,
    );
  });
});

describe("resolveTrainingJobs", () => {
  it("prefers --training-jobs, then the deployment file for the chain, then the ledger's address", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "tributary-deployments-"));
    try {
      const deploymentsDir = pathToFileURL(`${dir}/`);
      const fromLedger = async () => "0x00000000000000000000000000000000000000aa";
      const option = await resolveTrainingJobs({
        option: trainingJobs.toUpperCase().replace("0X", "0x"),
        chainId: 31_337n,
        ledgerAddress: fromLedger,
        deploymentsDir,
      });
      expect(option).toMatchObject({ address: trainingJobs, source: "option" });
      expect(await resolveTrainingJobs({ chainId: 31_337n, ledgerAddress: fromLedger, deploymentsDir })).toMatchObject({
        address: "0x00000000000000000000000000000000000000aa",
        source: "ledger",
      });
      await writeFile(path.join(dir, "31337.json"), JSON.stringify(chain.system.deployment));
      expect(await resolveTrainingJobs({ chainId: 31_337n, ledgerAddress: fromLedger, deploymentsDir })).toMatchObject({
        address: trainingJobs,
        source: "deployment",
      });
      await writeFile(path.join(dir, "31337.json"), "{}");
      await expect(
        resolveTrainingJobs({ chainId: 31_337n, ledgerAddress: fromLedger, deploymentsDir }),
      ).rejects.toThrow(/the deployment file for chain 31337 is unusable/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
