import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { DEFAULT_DEPLOY_OPTIONS } from "@tributary/contracts/deploy";
import { parseDeployment } from "@tributary/contracts/deployments";
import {
  connectModelRegistry,
  connectOptimisticVerifier,
  connectStaking,
  connectTrainingJobs,
} from "@tributary/contracts/typed";
import { JsonRpcProvider, ZeroAddress } from "ethers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { jsonLine, tributary } from "../../cli/test-support/run-tributary.js";

// `npm start -- --cheater` on the local chain, its summary read against the chain it leaves running: a second
// provider lies on chain about some of its tasks, a challenger disputes, the committee votes, the cheater is slashed
// and deactivated, and the router stops choosing it. The chain is read at the end through its own RPC endpoint, with
// the deployment file the run wrote, and through the `model show|list` and `ledger verify` commands.

const bin = path.resolve(import.meta.dirname, "../../cli/bin/tributary.js");
const REQUESTS = 200;
const { providerSlashAmount } = DEFAULT_DEPLOY_OPTIONS.verifier;
/** `IOptimisticVerifier.Outcome`. */
const ACCEPTED = 1n;
const CHALLENGER_WON = 3n;

interface ScenarioProvider {
  provider: string;
  modelId: string;
  requestsBefore: number;
  requestsAfter: number;
  stakeBeforeWei: string;
  stakeAfterWei: string;
}
interface Verification {
  tasks: number;
  disputes: number;
  slashedWei: string;
  zkVerified: number;
  honest: ScenarioProvider;
  cheater: ScenarioProvider;
}

let dataDir: string;
let demo: ChildProcess | undefined;
let stdout = "";
let summary: Record<string, unknown>;
let verification: Verification;
let rpc: JsonRpcProvider;
let chainUrl: string;
let coordinatorUrl: string;
let deploymentFile: string;

/** Runs `tributary up --json --cheater` (no --exit) until it says it keeps running; the chain stays up for the test. */
beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), "tributary-up-cheater-"));
  const args = ["up", "--json", "--port", "0", "--chain-port", "0", "--clients", "2", "--rounds", "1"];
  const child = spawn(
    process.execPath,
    [bin, ...args, "--requests", String(REQUESTS), "--task-rate", "0.25", "--cheater", "--data-dir", dataDir],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  demo = child;
  await new Promise<void>((resolve, reject) => {
    child.stdout?.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
      if (/Ctrl-C stops/.test(stdout)) resolve();
    });
    child.once("exit", (code) => reject(new Error(`tributary up exited ${code} early:\n${stdout.slice(-4000)}`)));
  });
  const lines = stdout.trim().split("\n");
  summary = JSON.parse(lines.find((line) => line.startsWith('{"jobId"')) as string) as Record<string, unknown>;
  verification = summary.verification as Verification;
  [, coordinatorUrl = ""] = /coordinator still running at (\S+) /.exec(stdout) ?? [];
  [, chainUrl = ""] = /chain at (\S+?);/.exec(stdout) ?? [];
  const runs = (await readdir(path.join(dataDir, "demo"))).filter((name) => name.startsWith("run-"));
  deploymentFile = path.join(dataDir, "demo", runs[0] as string, "deployment.json");
  rpc = new JsonRpcProvider(chainUrl, undefined, { cacheTimeout: -1 });
}, 300_000);

afterAll(async () => {
  rpc?.destroy();
  if (demo !== undefined && demo.exitCode === null) {
    const exited = new Promise((resolve) => demo?.once("exit", resolve));
    demo.kill("SIGINT");
    await exited;
  }
  await rm(dataDir, { recursive: true, force: true });
});

async function contracts() {
  const { contracts: addresses } = parseDeployment(JSON.parse(await readFile(deploymentFile, "utf8")));
  return {
    verifier: connectOptimisticVerifier(addresses.OptimisticVerifier, rpc),
    models: connectModelRegistry(addresses.ModelRegistry, rpc),
    staking: connectStaking(addresses.Staking, rpc),
    jobs: connectTrainingJobs(addresses.TrainingJobs, rpc),
  };
}

describe("npm start -- --cheater", () => {
  it("reports tasks, disputes and the slash as the chain records them, and the router stops choosing the cheater", async () => {
    expect(summary).toMatchObject({ ledgerVerified: true, chainId: 31_337 });
    expect(Object.keys(verification).sort()).toEqual([
      "cheater",
      "disputes",
      "honest",
      "slashedWei",
      "tasks",
      "zkVerified",
    ]);
    const { verifier, models, staking } = await contracts();
    const cheater = verification.cheater.provider;
    const honest = verification.honest.provider;
    expect(cheater).not.toBe(honest);

    // Tasks: every TaskCreated on the chain, each naming one of the two providers on its own listing.
    const created = await verifier.queryFilter(verifier.filters.TaskCreated());
    expect(verification.tasks).toBe(created.length);
    expect(created.length).toBeGreaterThan(0);
    const providerOf = new Map(created.map((log) => [log.args.taskId, log.args.provider.toLowerCase()]));
    for (const log of created) {
      const owner = log.args.provider.toLowerCase();
      expect([honest, cheater]).toContain(owner);
      expect(String(log.args.modelId)).toBe(
        owner === honest ? verification.honest.modelId : verification.cheater.modelId,
      );
    }

    // Disputes: all on the cheater's tasks, all lost by it, none by a ZK proof.
    const disputed = await verifier.queryFilter(verifier.filters.Disputed());
    expect(verification.disputes).toBe(disputed.length);
    expect(disputed.length).toBeGreaterThan(0);
    for (const log of disputed) {
      expect(providerOf.get(log.args.taskId)).toBe(cheater);
      expect(log.args.proofVerifier).toBe(ZeroAddress);
    }
    expect(verification.zkVerified).toBe(0);
    const finalized = await verifier.queryFilter(verifier.filters.TaskFinalized());
    const lost = finalized.filter((log) => log.args.outcome === CHALLENGER_WON);
    expect(lost.map((log) => log.args.taskId).sort()).toEqual(disputed.map((log) => log.args.taskId).sort());

    // The slash: providerSlashAmount per lost dispute, on ModelRegistry and on Staking, and the cheater's stake less.
    const cheaterModel = BigInt(verification.cheater.modelId);
    const slashes = await models.queryFilter(models.filters.ModelSlashed(cheaterModel));
    expect(slashes.map((log) => log.args.slashed)).toEqual(lost.map(() => providerSlashAmount));
    const slashed = BigInt(lost.length) * providerSlashAmount;
    expect(BigInt(verification.slashedWei)).toBe(slashed);
    const taken = await staking.queryFilter(staking.filters.Slashed(cheater));
    expect(taken.reduce((sum, log) => sum + log.args.amount, 0n)).toBe(slashed);
    const staked = await staking.queryFilter(staking.filters.Staked(cheater));
    const deposited = staked.reduce((sum, log) => sum + log.args.amount, 0n);
    expect(BigInt(verification.cheater.stakeBeforeWei)).toBe(deposited);
    expect(await staking.stakeOf(cheater)).toBe(deposited - slashed);
    expect(BigInt(verification.cheater.stakeAfterWei)).toBe(deposited - slashed);
    expect(BigInt(verification.honest.stakeAfterWei)).toBe(BigInt(verification.honest.stakeBeforeWei));
    // Its listing fell below the minimum stake: deactivated, and its reputation cut.
    const listing = await models.getModel(cheaterModel);
    expect(listing.active).toBe(false);
    expect(await models.queryFilter(models.filters.ModelDeactivated(cheaterModel))).toHaveLength(1);

    // After the slash the router chose only the honest provider: every task created after it names the honest one.
    const slashBlock = Math.max(...slashes.map((log) => log.blockNumber));
    const later = created.filter((log) => log.blockNumber > slashBlock);
    expect(later.length).toBeGreaterThan(0);
    for (const log of later) expect(log.args.provider.toLowerCase()).toBe(honest);
    expect(verification.cheater.requestsAfter).toBe(0);
    expect(verification.honest.requestsAfter).toBeGreaterThan(0);
    expect(verification.cheater.requestsBefore).toBeGreaterThan(0);
    const answered = [verification.honest, verification.cheater].reduce(
      (sum, p) => sum + p.requestsBefore + p.requestsAfter,
      0,
    );
    expect(answered).toBe(REQUESTS);

    // The honest provider's tasks were finalised after the window: its reputation is their number.
    const honestAccepted = finalized.filter(
      (log) => log.args.outcome === ACCEPTED && providerOf.get(log.args.taskId) === honest,
    );
    expect(honestAccepted.length).toBe(created.filter((log) => log.args.provider.toLowerCase() === honest).length);
    expect((await models.getModel(BigInt(verification.honest.modelId))).reputationScore).toBe(
      BigInt(honestAccepted.length),
    );

    // The summary names the cheater as such and shows the requests per provider before and after.
    expect(stdout).toMatch(/DELIBERATELY CHEATING DEMO PROVIDER/);
    expect(stdout).toMatch(
      /router: stopped choosing the cheater once its standing check refused it \(model \d+ is deactivated\)/,
    );
  });

  it("model show, model list and ledger verify show each provider's tasks, disputes and slashes", async () => {
    const flags = ["--rpc", chainUrl, "--deployment", deploymentFile, "--coordinator", coordinatorUrl, "--json"];
    const { verifier, models } = await contracts();
    const shown = await tributary("model", "show", verification.cheater.modelId, ...flags);
    expect(shown.code).toBe(0);
    const record = (jsonLine(shown.stdout) as { model: { verification: Record<string, unknown> } }).model.verification;
    const cheaterTasks = (await verifier.queryFilter(verifier.filters.TaskCreated())).filter(
      (log) => log.args.provider.toLowerCase() === verification.cheater.provider,
    );
    const lost = (await models.queryFilter(models.filters.ModelSlashed(BigInt(verification.cheater.modelId)))).length;
    expect(record).toMatchObject({
      modelId: verification.cheater.modelId,
      tasks: cheaterTasks.length,
      disputes: verification.disputes,
      disputesWon: 0,
      disputesLost: lost,
      disputesOpen: 0,
      resolvedByProof: 0,
      slashes: lost,
      slashed: verification.slashedWei,
    });

    const listed = await tributary("model", "list", "--all", ...flags);
    expect(listed.code).toBe(0);
    const rows = (jsonLine(listed.stdout) as { models: { modelId: string; verification: { disputesLost: number } }[] })
      .models;
    expect(rows.map((row) => [row.modelId, row.verification.disputesLost])).toEqual([
      [verification.honest.modelId, 0],
      [verification.cheater.modelId, lost],
    ]);

    const audited = await tributary("ledger", "verify", "--job", String(summary.jobId), ...flags, "--skip-blobs");
    expect(audited.code).toBe(0);
    const ledger = jsonLine(audited.stdout) as {
      models: { modelId: string; provider: string; active: boolean; verification: { slashed: string } }[];
    };
    expect(ledger.models.map((m) => [m.modelId, m.provider, m.active, m.verification.slashed])).toEqual([
      [verification.honest.modelId, verification.honest.provider, true, "0"],
      [verification.cheater.modelId, verification.cheater.provider, false, verification.slashedWei],
    ]);
  });
});
