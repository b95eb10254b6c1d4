import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { LocalChain } from "@tributary/contracts/local-chain";
import { connectDatasetRegistry, type DatasetRegistry } from "@tributary/contracts/typed";
import { RdpAccountant } from "@tributary/privacy";
import type { JobId } from "@tributary/protocol";
import { DatasetPrivacyGuard, type RoundHyperParams } from "@tributary/trainer-agent";
import type { JsonRpcProvider } from "ethers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { datasetBudget } from "./dataset-budget.js";
import { DatasetUnknownError } from "./dataset-records.js";

let chain: LocalChain;
let provider: JsonRpcProvider;
let registry: DatasetRegistry;
let dir: string;

const E18 = 10n ** 18n;
/** N = 95 records, batch 10, 3 epochs: q = 10/95, 3 · ⌈95/10⌉ = 30 steps a round. */
const N = 95;
const hyper = (noiseMultiplier: number): RoundHyperParams => ({
  localEpochs: 3,
  batchSize: 10,
  learningRate: 0.1,
  proximalMu: 0,
  dp: { mode: "dp-sgd", l2NormClip: 1, noiseMultiplier, targetEpsilon: 5, delta: 1e-5 },
});

beforeAll(async () => {
  chain = await LocalChain.start();
  provider = chain.provider();
  registry = connectDatasetRegistry(chain.system.deployment.contracts.DatasetRegistry, provider);
  dir = await mkdtemp(path.join(tmpdir(), "tributary-budget-"));
});

afterAll(async () => {
  provider?.destroy();
  await chain?.stop();
  await rm(dir, { recursive: true, force: true });
});

async function enrolled(epsilon: bigint): Promise<string> {
  const owner = (await chain.fundedWallet()).connect(provider);
  return String(await chain.registerDataset(owner, "ipfs://m", { epsilon, delta: 10n ** 13n }));
}

/** Runs the agent's own guard for `rounds` rounds of each job, as `tributary trainer` does before each round. */
async function charge(datasetId: string, stateDir: string, budget: number, jobs: [string, number, number][]) {
  const guard = await DatasetPrivacyGuard.open(stateDir, datasetId, { epsilon: budget, delta: 1e-5 });
  for (const [jobId, rounds, sigma] of jobs) {
    for (let round = 0; round < rounds; round++) {
      await guard.prepareRound({ jobId: jobId as JobId, round, rounds, hyperParams: hyper(sigma), datasetSize: N });
    }
  }
}

describe("dataset budget", () => {
  it("shows each job's ε from the agent's ledger and the total against the enrolled budget", async () => {
    const id = await enrolled(8n * E18);
    const stateDir = path.join(dir, "agent");
    await charge(id, stateDir, 8, [
      ["11", 2, 1.3],
      ["12", 1, 2],
    ]);
    const report = await datasetBudget(registry, id, stateDir);
    // Each job alone, from the accountant the privacy tests check against Opacus and TF Privacy.
    const job11 = new RdpAccountant().step(1.3, 10 / N, 60).getEpsilon(1e-5).epsilon;
    const job12 = new RdpAccountant().step(2, 10 / N, 30).getEpsilon(1e-5).epsilon;
    const total = new RdpAccountant()
      .step(1.3, 10 / N, 60)
      .step(2, 10 / N, 30)
      .getEpsilon(1e-5).epsilon;
    expect(report.byJob.map(({ label, spends }) => [label, spends])).toEqual([
      ["11", 2],
      ["12", 1],
    ]);
    expect(report.byJob[0]?.epsilon).toBeCloseTo(job11, 12);
    expect(report.byJob[1]?.epsilon).toBeCloseTo(job12, 12);
    expect(report.spent).toBeCloseTo(total, 12);
    expect(report.enrolled).toEqual({ epsilon: 8, delta: 1e-5 });
    expect(report.enforced).toEqual({ epsilon: 8, delta: 1e-5 });
    expect(report.remaining).toBeCloseTo(8 - total, 12);
    expect(report.ledgerFile).toBe(path.join(stateDir, `privacy-ledger-${id}.json`));
    expect(report.findings).toEqual([]);
  });

  it("says when the agent enforces more than the owner enrolled, and when nothing was charged yet", async () => {
    const id = await enrolled(E18);
    const stateDir = path.join(dir, "loose");
    const untouched = await datasetBudget(registry, id, stateDir);
    expect(untouched).toMatchObject({ enforced: null, spent: 0, remaining: 1, byJob: [], findings: [] });
    // The agent was started off-chain with its default budget ε 10 while ε = 1 was enrolled.
    await charge(id, stateDir, 10, [["7", 1, 1.3]]);
    const report = await datasetBudget(registry, id, stateDir);
    expect(report.findings[0]).toBe(
      "the agent enforces ε 10, δ 0.00001, more than the enrolled ε 1, δ 0.00001: restart it with --rpc, which makes it enforce the enrolled budget",
    );
    const spent = new RdpAccountant().step(1.3, 10 / N, 30).getEpsilon(1e-5).epsilon;
    expect(spent).toBeGreaterThan(1);
    expect(report.findings[1]).toBe(`ε ${report.spent} was spent, more than the enrolled ε 1`);
    expect(report.remaining).toBe(0);
  });

  it("refuses an unknown dataset id", async () => {
    await expect(datasetBudget(registry, "424242", dir)).rejects.toThrow(DatasetUnknownError);
  });
});
