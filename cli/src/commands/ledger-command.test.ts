import { createServer } from "node:net";
import { LocalChain } from "@tributary/contracts/local-chain";
import { Wallet } from "ethers";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import {
  type LedgerServer,
  type PlayedJob,
  playJob,
  signLeaf,
  startLedgerServer,
} from "../../../auditor/test-support/ledger-job.js";
import { jsonLine, tributary } from "../../test-support/run-tributary.js";

/** An auditor's key (any fixed 32-byte key). */
const AUDITOR_KEY = `0x${"42".repeat(32)}`;

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

beforeEach(() => {
  // The auditor signs in to read blobs (any key: the served ledger's blobs are not access-checked here).
  vi.stubEnv("TRIBUTARY_AUDITOR_KEY", AUDITOR_KEY);
});

afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
  process.exitCode = undefined;
});

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
      checked: { rounds: 2, leaves: 6, blobs: 8, blobsUnreachable: 0, blobsSkipped: false, signatures: 6, payouts: 3 },
      attestations: { sgx: 6, simulated: 0 },
      simulatedAttestation: false,
      disagreements: [],
      warnings: [],
    });
    const human = await tributary(...verify());
    expect(human.code).toBe(0);
    expect(human.stdout).toContain("checked 2 rounds, 6 leaves, 8 blobs, 6 update signatures, 3 payouts");
    expect(human.stdout).toContain("attestations: 6 sgx");
    expect(human.stdout).not.toContain("SIMULATED");
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
      expect.objectContaining({ kind: "leaf", round: 1, chainRound: 2, trainer: leaf.trainer }),
    );
    const human = await tributary(...verify());
    expect(human.code).toBe(1);
    const listed = human.stdout.split("\n").filter((line) => line.startsWith("  ["));
    expect(listed).toHaveLength(report.disagreements.length);
    expect(human.stdout).toContain(`FAILED: ${report.disagreements.length} disagreements:`);
    expect(listed).toContainEqual(
      expect.stringMatching(
        new RegExp(`^ {2}\\[leaf\\] round 1 \\(anchored as chain round 2\\): leaf of ${leaf.trainer}`),
      ),
    );
  });

  it("exits 1 naming round, trainer and CID when the coordinator has deleted an update blob", async () => {
    server.serve(job);
    const leaf = job.ledger().rounds[0]?.leaves[2];
    if (leaf === undefined) throw new Error("no leaf");
    server.state.blobs.get(String(job.jobId))?.delete(leaf.updateCid);
    const result = await tributary(...verify("--json"));
    expect(result.code).toBe(1);
    const report = jsonLine(result.stdout) as { ok: boolean; checked: object; disagreements: object[] };
    expect(report.ok).toBe(false);
    expect(report.checked).toMatchObject({ blobs: 7, blobsUnreachable: 1, blobsSkipped: false });
    expect(report.disagreements).toEqual([
      expect.objectContaining({
        kind: "blob-unavailable",
        round: 0,
        chainRound: 1,
        trainer: leaf.trainer,
        actual: leaf.updateCid,
      }),
    ]);
    const human = await tributary(...verify());
    expect(human.code).toBe(1);
    expect(human.stdout).toContain(
      `  [blob-unavailable] round 0: leaf of ${leaf.trainer}: update blob ${leaf.updateCid} cannot be had from the coordinator`,
    );
    // Asked to skip blobs, the audit passes and says the blobs were not checked.
    const skipped = await tributary(...verify("--skip-blobs", "--json"));
    expect(skipped.code).toBe(0);
    expect(jsonLine(skipped.stdout)).toMatchObject({
      ok: true,
      checked: { blobs: 0, blobsSkipped: true },
      warnings: [expect.objectContaining({ kind: "blobs-skipped" })],
    });
    const skippedHuman = await tributary(...verify("--skip-blobs"));
    expect(skippedHuman.stdout).toContain("blobs not checked (--skip-blobs)");
    expect(skippedHuman.stdout).toContain(
      "OK: every root and payout in the ledger agrees with the chain (blobs not checked)",
    );
  });

  it("exits 1 naming round, trainer and CID when the coordinator serves other bytes for an update", async () => {
    server.serve(job);
    const leaf = job.ledger().rounds[1]?.leaves[0];
    if (leaf === undefined) throw new Error("no leaf");
    const corrupt = new Uint8Array(job.blobs.get(leaf.updateCid) as Uint8Array);
    corrupt[0] = (corrupt[0] as number) ^ 0xff;
    server.state.blobs.get(String(job.jobId))?.set(leaf.updateCid, corrupt);
    const result = await tributary(...verify("--json"));
    expect(result.code).toBe(1);
    expect(jsonLine(result.stdout).disagreements).toEqual([
      expect.objectContaining({ kind: "update-blob", round: 1, trainer: leaf.trainer, expected: leaf.updateHash }),
    ]);
    const human = await tributary(...verify());
    expect(human.code).toBe(1);
    expect(human.stdout).toContain(
      `  [update-blob] round 1: leaf of ${leaf.trainer}: update blob ${leaf.updateCid} has SHA-256`,
    );
  });

  it("exits 1 naming the trainer whose update the served ledger carries a signature of the wrong key for", async () => {
    server.serve(job);
    const ledger = job.ledger();
    const leaf = ledger.rounds[1]?.leaves[1];
    if (leaf === undefined) throw new Error("no leaf");
    const where = { jobId: job.jobId, chainRound: 2, chainId: chain.chainId, trainingJobs };
    const wrongKey = Wallet.createRandom();
    Object.assign(leaf, await signLeaf(leaf, where, wrongKey));
    server.state.ledgers.set(String(job.jobId), ledger);
    const result = await tributary(...verify("--json"));
    expect(result.code).toBe(1);
    expect(jsonLine(result.stdout).disagreements).toEqual([
      expect.objectContaining({
        kind: "update-signature",
        round: 1,
        trainer: leaf.trainer,
        actual: wrongKey.address.toLowerCase(),
      }),
    ]);
    const human = await tributary(...verify());
    expect(human.stdout).toContain(
      `  [update-signature] round 1: leaf of ${leaf.trainer}: its update signature is not`,
    );
  });

  it("flags simulated attestations loudly, and warns about an unsigned ledger without failing", async () => {
    const simulated = await playJob(chain, {
      rounds: 1,
      trainers: 2,
      scoring: "leave-one-out",
      attestationKind: "simulated",
    });
    server.serve(simulated);
    const args = verify("--json").map((arg) => (arg === String(job.jobId) ? String(simulated.jobId) : arg));
    const result = await tributary(...args);
    expect(result.code).toBe(0);
    expect(jsonLine(result.stdout)).toMatchObject({
      ok: true,
      simulatedAttestation: true,
      attestations: { simulated: 2 },
      warnings: [{ kind: "simulated-attestation" }, { kind: "simulated-attestation" }],
    });
    const human = await tributary(...args.filter((arg) => arg !== "--json"));
    expect(human.stdout).toContain("attestations: 2 SIMULATED");
    expect(human.stdout).toContain("!!! SIMULATED ATTESTATION: 2 update(s) came from trainers without a TEE");

    const unsigned = await playJob(chain, { rounds: 1, trainers: 2, scoring: "leave-one-out", signed: false });
    server.serve(unsigned);
    const old = await tributary(...verify().map((arg) => (arg === String(job.jobId) ? String(unsigned.jobId) : arg)));
    expect(old.code).toBe(0);
    expect(old.stdout).toContain("no update signatures");
    expect(old.stdout).toContain("warning: [unsigned-ledger] unsigned ledger (coordinator too old)");
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
