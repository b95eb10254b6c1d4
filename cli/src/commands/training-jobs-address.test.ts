import { mkdtemp, rm, writeFile } from "node:fs/promises";
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
import { captured, jsonLine, tributary } from "../../test-support/run-tributary.js";
import { runClaim } from "./claim.js";
import { runLedgerVerify } from "./ledger.js";
import { resolveTrainingJobs } from "./training-jobs-address.js";

let chain: LocalChain;
let server: LedgerServer;
let job: PlayedJob;
let trainingJobs: string;
/** Another contract of the deployment: the address a lying coordinator reports as TrainingJobs. */
let decoy: string;
let dir: string;
/** A deployment file the user trusts, outside the default directory. */
let deploymentFile: string;
/** A directory without any `<chainId>.json`: as on a machine that has no deployment file. */
let emptyDir: URL;

beforeAll(async () => {
  chain = await LocalChain.start();
  server = await startLedgerServer();
  trainingJobs = chain.system.deployment.contracts.TrainingJobs;
  decoy = chain.system.deployment.contracts.ModelRegistry;
  job = await playJob(chain, { rounds: 1, trainers: 3, scoring: "leave-one-out" });
  dir = await mkdtemp(path.join(tmpdir(), "tributary-deployments-"));
  deploymentFile = path.join(dir, "trusted-deployment.json");
  await writeFile(deploymentFile, JSON.stringify(chain.system.deployment));
  await writeFile(path.join(dir, "31337-other.json"), JSON.stringify({ ...chain.system.deployment, chainId: 1 }));
  const empty = await mkdtemp(path.join(tmpdir(), "tributary-no-deployments-"));
  emptyDir = pathToFileURL(`${empty}/`);
});

afterAll(async () => {
  await server?.close();
  await chain?.stop();
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  if (emptyDir !== undefined) await rm(emptyDir, { recursive: true, force: true });
});

afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
  process.exitCode = undefined;
});

/** Serves the job with a ledger that names `decoy` as its TrainingJobs contract. */
function serveLyingLedger(): void {
  server.serve(job);
  const ledger = job.ledger();
  ledger.trainingJobs = decoy.toLowerCase() as typeof ledger.trainingJobs;
  server.state.ledgers.set(String(job.jobId), ledger);
}

const base = () => ({ job: String(job.jobId), rpc: chain.url, coordinator: server.url });

describe("a coordinator that lies about the TrainingJobs address", () => {
  it("cannot pick the contract a claim is sent to: the deployment file's is used", async () => {
    serveLyingLedger();
    const trainer = job.trainers[0] as (typeof job.trainers)[number];
    vi.stubEnv("TRIBUTARY_TRAINER_KEY", trainer.privateKey);
    const before = await chain.tokenBalance(trainer.address);
    const args = ["claim", "--job", String(job.jobId), "--rpc", chain.url, "--coordinator", server.url];
    const result = await tributary(...args, "--deployment", deploymentFile, "--json");
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    const paid = job.plan.leaves.find((leaf) => leaf.trainer === trainer.address.toLowerCase())?.amount;
    expect(jsonLine(result.stdout)).toMatchObject({ ok: true, amount: String(paid), trainingJobs });
    expect((await chain.tokenBalance(trainer.address)) - before).toBe(paid);
  });

  it("makes a claim without a deployment file or --training-jobs refuse before sending anything", async () => {
    serveLyingLedger();
    const trainer = job.trainers[1] as (typeof job.trainers)[number];
    vi.stubEnv("TRIBUTARY_TRAINER_KEY", trainer.privateKey);
    const provider = chain.provider();
    try {
      const nonce = await provider.getTransactionCount(trainer.address);
      const result = await captured(() => runClaim({ ...base(), json: true }, { deploymentsDir: emptyDir }));
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(
        /^tributary: no TrainingJobs address for chain 31337: no deployment file 31337\.json; pass --training-jobs <address> or --deployment <file> \(the coordinator's word is not taken for the contract\)/,
      );
      expect(jsonLine(result.stdout)).toMatchObject({ ok: false, error: { code: "TRAINING_JOBS_UNKNOWN" } });
      expect(await provider.getTransactionCount(trainer.address)).toBe(nonce);
    } finally {
      provider.destroy();
    }
  });

  it("is not audited against by ledger verify unless --trust-coordinator-address is passed", async () => {
    serveLyingLedger();
    const refused = await captured(() => runLedgerVerify({ ...base(), json: true }, { deploymentsDir: emptyDir }));
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain("no TrainingJobs address for chain 31337");
    expect(refused.stderr).toContain("--trust-coordinator-address");

    // With the deployment file, the audit reads the real contract and reports the ledger's claim as a disagreement.
    const audited = await tributary(...verifyArgs("--deployment", deploymentFile, "--json"));
    expect(audited.code).toBe(1);
    const report = jsonLine(audited.stdout);
    expect(report).toMatchObject({ trainingJobs, trainingJobsSource: "deployment" });
    expect(report.disagreements).toEqual([
      expect.objectContaining({ kind: "training-jobs-address", expected: trainingJobs, actual: decoy.toLowerCase() }),
    ]);

    // Asked to, it takes the address of an honest coordinator's ledger, and says whose word it is.
    server.serve(job);
    const trusted = await captured(() =>
      runLedgerVerify({ ...base(), trustCoordinatorAddress: true }, { deploymentsDir: emptyDir }),
    );
    expect(trusted.code).toBe(0);
    expect(trusted.stdout).toContain(`TrainingJobs ${trainingJobs} (from the coordinator's ledger`);
    expect(trusted.stdout).toContain("warning: the contract address is the coordinator's own claim");
  });
});

function verifyArgs(...extra: string[]): string[] {
  return ["ledger", "verify", "--job", String(job.jobId), "--rpc", chain.url, "--coordinator", server.url, ...extra];
}

describe("resolveTrainingJobs", () => {
  it("prefers --training-jobs, then --deployment, then the deployment file for the chain; the ledger only if asked", async () => {
    const fromLedger = async () => "0x00000000000000000000000000000000000000aa";
    const option = await resolveTrainingJobs({
      option: trainingJobs.toUpperCase().replace("0X", "0x"),
      deployment: deploymentFile,
      chainId: 31_337n,
      deploymentsDir: emptyDir,
    });
    expect(option).toMatchObject({ address: trainingJobs, source: "option" });
    expect(
      await resolveTrainingJobs({ deployment: deploymentFile, chainId: 31_337n, deploymentsDir: emptyDir }),
    ).toMatchObject({ address: trainingJobs, source: "deployment", from: deploymentFile });
    await expect(resolveTrainingJobs({ chainId: 31_337n, deploymentsDir: emptyDir })).rejects.toThrow(
      /^no TrainingJobs address for chain 31337/,
    );
    expect(
      await resolveTrainingJobs({ chainId: 31_337n, ledgerAddress: fromLedger, deploymentsDir: emptyDir }),
    ).toMatchObject({ address: "0x00000000000000000000000000000000000000aa", source: "ledger" });

    const deploymentsDir = pathToFileURL(`${dir}/`);
    await writeFile(path.join(dir, "31337.json"), JSON.stringify(chain.system.deployment));
    expect(await resolveTrainingJobs({ chainId: 31_337n, ledgerAddress: fromLedger, deploymentsDir })).toMatchObject({
      address: trainingJobs,
      source: "deployment",
    });
    await writeFile(path.join(dir, "31337.json"), "{}");
    await expect(resolveTrainingJobs({ chainId: 31_337n, deploymentsDir })).rejects.toThrow(
      /the deployment file for chain 31337 is unusable/,
    );
    await expect(
      resolveTrainingJobs({ deployment: path.join(dir, "31337-other.json"), chainId: 31_337n }),
    ).rejects.toThrow(/describes chain 1, but the RPC serves chain 31337/);
    await expect(resolveTrainingJobs({ deployment: path.join(dir, "missing.json"), chainId: 31_337n })).rejects.toThrow(
      /the deployment file .*missing\.json is unusable/,
    );
  });
});
