import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { LocalChain } from "@tributary/contracts/local-chain";
import { createCoordinator } from "@tributary/coordinator";
import { SimulatedEnclave } from "@tributary/enclave-compute";
import { initTrainingBackend } from "@tributary/model-runtime";
import { RdpAccountant } from "@tributary/privacy";
import { type Address, bytesToWeights, type DatasetId, type JobId, type JobLedger } from "@tributary/protocol";
import {
  type AgentEvent,
  ChainJobAdmission,
  DatasetPrivacyGuard,
  EvaluationAllowance,
  loadDataset,
  TrainerAgent,
} from "@tributary/trainer-agent";
import { Wallet } from "ethers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DATABASES, type TestDatabase } from "../../coordinator/test-support/databases.js";
import { startChainCoordinator } from "../../coordinator/test-support/on-chain-job.js";
import { downloadModel, ok, signInAs, until } from "../../coordinator/test-support/rest.js";
import { writeMnistIdx } from "../../trainer-agent/test-support/mnist-package.js";

// A SecAgg+ job on chain with five real trainer agents (tfjs training, signed messages over socket.io) against a
// real coordinator on PostgreSQL. One trainer drops right after sharing its keys, another right after sending its
// masked input. The round must finish; its model must be the plain FedAvg of the four trainers whose masked input
// made it into the sum, computed here in float64 from the updates the agents computed (captured through the
// agent's update seam, never seen by the coordinator), within the quantisation bound; and `tributary ledger
// verify` must verify the job against the chain.

const exec = promisify(execFile);
const bin = path.resolve(import.meta.dirname, "../../cli/bin/tributary.js");
/** Hardhat's first development account: LocalChain's deployer, which creates the job and so may read its blobs. */
const RESEARCHER_KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";
const RECORDS = [120, 160, 200, 240, 280] as const;
const CLIP = 0.5;
const SCALE = 4096;

let dir: string;
let chain: LocalChain;
let db: TestDatabase;
const agents: TrainerAgent[] = [];

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "tributary-secagg-e2e-"));
  await initTrainingBackend({ log: () => {} });
  chain = await LocalChain.start();
  db = await (DATABASES.find((d) => d.name === "postgresql") as (typeof DATABASES)[number]).setup();
}, 120_000);

afterAll(async () => {
  for (const agent of agents) agent.stop();
  await chain?.stop();
  await db?.cleanup();
  await rm(dir, { recursive: true, force: true });
});

describe("a secure-aggregation job end to end", () => {
  it("finishes with trainers dropping after sharing keys and after masking, as the FedAvg of the survivors, and its ledger verifies", async () => {
    const sender = await chain.fundedWallet();
    const coordinator = await startChainCoordinator(chain, db, sender, {}, { tickSeconds: 0.2 });
    try {
      const deployment = chain.system.deployment;
      const owners = await Promise.all(RECORDS.map(() => chain.fundedWallet()));
      const data = await Promise.all(
        RECORDS.map(async (records, index) => {
          const files = await writeMnistIdx(path.join(dir, `owner-${index}`), { train: records, test: 40 });
          return {
            train: await loadDataset({ format: "idx", parts: [files.train], numClasses: 10 }),
            evaluation: await loadDataset({ format: "idx", parts: [files.test], numClasses: 10 }),
          };
        }),
      );
      const datasets: DatasetId[] = [];
      for (const [index, owner] of owners.entries()) {
        const { commitment } = (data[index] as (typeof data)[number]).train;
        datasets.push(
          String(
            await chain.registerDataset(owner.connect(chain.provider()), "ipfs://mnist", { commitment }),
          ) as DatasetId,
        );
      }
      const { modelSpecHash } = await ok<{ modelSpecHash: string }>(
        coordinator.url,
        "POST",
        "/chain/job-specs",
        {
          name: "secagg",
          model: {
            inputShape: [784],
            layers: [{ type: "dense", units: 10, activation: "softmax" }],
            loss: "sparseCategoricalCrossentropy",
          },
          datasetIds: datasets,
          rounds: 1,
          learningRate: 0.1,
          batchSize: 32,
          // Every trainer takes part (the round opens once all five are online): two drop mid-protocol, three answer.
          clients: { min: 5, max: 5 },
          roundTimeoutS: 12,
          // t = 3 of k = 4 neighbours: with five trainers the complete graph of Bonawitz et al.
          secureAggregation: { threshold: 3, neighbours: 4, quantisation: { clip: CLIP, scale: SCALE } },
        },
        await signInAs(coordinator.url, Wallet.createRandom(), chain.chainId),
      );
      const jobId = String(
        await chain.createJob({
          coordinator: sender.address,
          rounds: 1,
          modelSpecHash,
          datasetIds: datasets.map(BigInt),
        }),
      ) as JobId;
      await until("the on-chain job to be adopted", async () =>
        (await fetch(`${coordinator.url}/jobs/${jobId}`)).status === 200 ? true : undefined,
      );

      // Each agent's update as it computed it (the seam hands it back unchanged): the test's reference only.
      const updates = new Map<Address, Float32Array>();
      const events = new Map<Address, AgentEvent[]>();
      const dropAfterShare = 1;
      const dropAfterMask = 3;
      for (const [index, owner] of owners.entries()) {
        const { train, evaluation } = data[index] as (typeof data)[number];
        const datasetId = datasets[index] as DatasetId;
        const stateDir = path.join(dir, `owner-${index}`, "state");
        const address = owner.address.toLowerCase() as Address;
        const seen: AgentEvent[] = [];
        events.set(address, seen);
        const agent: TrainerAgent = new TrainerAgent({
          coordinatorUrl: coordinator.url,
          wallet: owner,
          datasetId,
          train: train.dataset,
          evaluation: evaluation.dataset,
          commitment: train.commitment,
          manifest: train.manifest,
          enclave: new SimulatedEnclave({ warn: () => {} }),
          privacy: await DatasetPrivacyGuard.open(stateDir, datasetId, {
            epsilon: 10,
            delta: 1e-5,
            allowNonPrivate: true,
          }),
          disclosure: await EvaluationAllowance.open(stateDir, datasetId, {}),
          admission: new ChainJobAdmission({
            runner: chain.provider(),
            chainId: chain.chainId,
            trainingJobs: deployment.contracts.TrainingJobs,
            datasetRegistry: deployment.contracts.DatasetRegistry,
            datasetId,
            allowedTokens: [deployment.contracts.TributaryToken],
          }),
          updateTransform: (update) => {
            updates.set(address, Float32Array.from(update));
            return update;
          },
          onEvent: (event) => {
            seen.push(event);
            // Drop-outs mid-protocol: the agent goes away as soon as the coordinator acknowledged its stage.
            const dropped =
              event.type === "secagg" &&
              ((index === dropAfterShare && event.stage === "share-keys") ||
                (index === dropAfterMask && event.stage === "masked-input"));
            if (dropped) agent.stop();
          },
        });
        agents.push(agent);
        await agent.start();
      }

      const status = await until(
        "the job to finish",
        async () => {
          const job = await ok<{ status: string; statusMessage: string | null }>(
            coordinator.url,
            "GET",
            `/jobs/${jobId}`,
          );
          return job.status === "completed" || job.status === "failed" ? job : undefined;
        },
        180_000,
      );
      expect(status.status, JSON.stringify(status)).toBe("completed");

      const addresses = owners.map((owner) => owner.address.toLowerCase() as Address);
      const stages = (index: number) =>
        (events.get(addresses[index] as Address) ?? []).flatMap((e) => (e.type === "secagg" ? [e.stage] : []));
      expect(stages(dropAfterShare)).toEqual(["advertise-keys", "share-keys"]);
      expect(stages(dropAfterMask)).toEqual(["advertise-keys", "share-keys", "masked-input"]);
      expect(stages(0)).toEqual(["advertise-keys", "share-keys", "masked-input", "unmasking"]);

      const ledger = await ok<JobLedger>(coordinator.url, "GET", `/ledger/jobs/${jobId}`);
      const round = ledger.rounds[0] as JobLedger["rounds"][number];
      // The round says how it was scored and what its blobs hold.
      expect(round.scoring).toMatchObject({
        method: "examples",
        computedBy: "secure-aggregation",
        secureAggregation: {
          updates: "masked-inputs",
          survivors: 4,
          dropped: [addresses[dropAfterShare]],
          clip: CLIP,
          scale: SCALE,
          exampleCap: Math.max(...RECORDS),
        },
      });
      const survivors = round.leaves.filter((leaf) => !leaf.rejected).map((leaf) => leaf.trainer);
      expect(new Set(survivors)).toEqual(new Set(addresses.filter((_, index) => index !== dropAfterShare)));

      // The reference: plain FedAvg, in float64, of the survivors' clipped updates weighted by their signed counts.
      const token = await signInAs(coordinator.url, new Wallet(RESEARCHER_KEY), chain.chainId);
      const initial = bytesToWeights(
        (await downloadModel(coordinator.url, ledger.initialModelCid as string, token)).bytes,
      );
      const model = bytesToWeights((await downloadModel(coordinator.url, round.modelCid, token)).bytes);
      const clip = (value: number) => Math.min(CLIP, Math.max(-CLIP, value));
      const fedAvg = (trainers: readonly { trainer: Address; examples: number }[]) => {
        const total = trainers.reduce((sum, { examples }) => sum + examples, 0);
        return Float64Array.from(initial, (weight, i) => {
          let sum = 0;
          for (const { trainer, examples } of trainers)
            sum += examples * clip((updates.get(trainer) as Float32Array)[i] as number);
          return weight + sum / total;
        });
      };
      const leaves = round.leaves.filter((leaf) => !leaf.rejected);
      const counted = leaves.map((leaf) => ({ trainer: leaf.trainer, examples: Number(leaf.numExamples) }));
      const examples = counted.reduce((sum, { examples: n }) => sum + n, 0);
      expect(counted.map(({ trainer, examples: n }) => [trainer, n])).toEqual(
        expect.arrayContaining(counted.map(({ trainer }) => [trainer, RECORDS[addresses.indexOf(trainer)]])),
      );
      const expected = fedAvg(counted);
      // Quantisation: each survivor's weighted input is off by ≤ 1/(2·scale), so the sum by ≤ m/(2·scale), and the
      // average (× exampleCap / Σn) by ≤ exampleCap·m/(2·scale·Σn); float32 rounding of weights, the weighted input
      // and the stored model adds a few ulps of |w| ≤ 1.
      const bound = (Math.max(...RECORDS) * counted.length) / (2 * SCALE * examples) + 4 * 2 ** -23;
      let worst = 0;
      for (let i = 0; i < model.length; i++)
        worst = Math.max(worst, Math.abs((model[i] as number) - (expected[i] as number)));
      expect(worst).toBeLessThanOrEqual(bound);
      // …and it is not the average with the trainer that dropped after sharing (its update never left it).
      const withDropped = fedAvg([
        ...counted,
        { trainer: addresses[dropAfterShare] as Address, examples: RECORDS[dropAfterShare] },
      ]);
      let apart = 0;
      for (let i = 0; i < model.length; i++)
        apart = Math.max(apart, Math.abs((model[i] as number) - (withDropped[i] as number)));
      expect(apart).toBeGreaterThan(10 * bound);

      // An auditor verifies the ledger against the chain, fetching the masked inputs and the model.
      await until(
        "the anchor and the payouts to be confirmed",
        async () => {
          const current = await ok<JobLedger>(coordinator.url, "GET", `/ledger/jobs/${jobId}`);
          const confirmed =
            current.rounds[0]?.anchor.status === "confirmed" && current.payout?.finalize.status === "confirmed";
          return confirmed ? true : undefined;
        },
        60_000,
      );
      const { TRIBUTARY_AUDITOR_KEY: _inherited, ...env } = process.env;
      const { stdout } = await exec(
        process.execPath,
        [
          bin,
          "ledger",
          "verify",
          "--job",
          jobId,
          "--rpc",
          chain.url,
          "--coordinator",
          coordinator.url,
          "--training-jobs",
          deployment.contracts.TrainingJobs,
          "--json",
        ],
        { timeout: 60_000, env: { ...env, TRIBUTARY_AUDITOR_KEY: RESEARCHER_KEY } },
      );
      const report = JSON.parse(stdout.trim().split("\n").at(-1) as string);
      expect(report.disagreements).toEqual([]);
      expect(report).toMatchObject({ ok: true, checked: { rounds: 1, leaves: 4, blobs: 5, signatures: 4 } });
      // …and says what it could not check: the round's blobs are masked inputs.
      expect(report.warnings.map((warning: { kind: string }) => warning.kind)).toContain("secure-aggregation");
    } finally {
      for (const agent of agents) agent.stop();
      await coordinator.close();
    }
  }, 300_000);

  it("with DP on, every trainer adds its noise share: the sum carries noise of variance m·σ_share², and each charges one Gaussian release at z", async () => {
    // Off chain, three agents, one round: z = 1, C = 1, t = 2; a scale small enough to leave the noise headroom.
    const coordinator = await createCoordinator(
      { port: 0, dataDir: path.join(dir, "dp-coordinator"), tickSeconds: 0.2 },
      { logger: false },
    );
    const dpAgents: TrainerAgent[] = [];
    try {
      const researcher = Wallet.createRandom();
      const records = [150, 200, 250];
      const scale = 1000;
      const updates = new Map<Address, Float32Array>();
      const owners: { address: Address; datasetId: DatasetId; privacy: DatasetPrivacyGuard }[] = [];
      for (const [index, count] of records.entries()) {
        const files = await writeMnistIdx(path.join(dir, `dp-owner-${index}`), { train: count, test: 40 });
        const train = await loadDataset({ format: "idx", parts: [files.train], numClasses: 10 });
        const evaluation = await loadDataset({ format: "idx", parts: [files.test], numClasses: 10 });
        const wallet = Wallet.createRandom() as unknown as Wallet;
        const address = wallet.address.toLowerCase() as Address;
        const { id: datasetId } = await ok<{ id: DatasetId }>(
          coordinator.url,
          "POST",
          "/datasets",
          {
            owner: wallet.address,
            name: `dp ${index}`,
            commitment: train.commitment,
            recordCount: count,
            epsilonBudget: 10,
            deltaBudget: 1e-5,
          },
          await signInAs(coordinator.url, wallet, coordinator.config.chainId),
        );
        const stateDir = path.join(dir, `dp-owner-${index}`, "state");
        const privacy = await DatasetPrivacyGuard.open(stateDir, datasetId, { epsilon: 10, delta: 1e-5 });
        owners.push({ address, datasetId, privacy });
        const agent = new TrainerAgent({
          coordinatorUrl: coordinator.url,
          wallet,
          datasetId,
          train: train.dataset,
          evaluation: evaluation.dataset,
          commitment: train.commitment,
          manifest: train.manifest,
          enclave: new SimulatedEnclave({ warn: () => {} }),
          privacy,
          disclosure: await EvaluationAllowance.open(stateDir, datasetId, {}),
          updateTransform: (update) => {
            updates.set(address, Float32Array.from(update));
            return update;
          },
        });
        dpAgents.push(agent);
        await agent.start();
      }
      const job = await ok<{ id: JobId; modelCid: string }>(
        coordinator.url,
        "POST",
        "/jobs",
        {
          name: "secagg dp",
          model: {
            inputShape: [784],
            layers: [{ type: "dense", units: 10, activation: "softmax" }],
            loss: "sparseCategoricalCrossentropy",
          },
          datasetIds: owners.map((owner) => owner.datasetId),
          rounds: 1,
          learningRate: 0.1,
          batchSize: 32,
          clients: { min: 3, max: 3 },
          roundTimeoutS: 20,
          dp: { mode: "dp-sgd", l2NormClip: 1, noiseMultiplier: 1, targetEpsilon: 8, delta: 1e-5 },
          secureAggregation: { threshold: 2, neighbours: 2, quantisation: { clip: CLIP, scale } },
        },
        await signInAs(coordinator.url, researcher, coordinator.config.chainId),
      );
      const done = await until(
        "the DP job to finish",
        async () => {
          const view = await ok<{ status: string }>(coordinator.url, "GET", `/jobs/${job.id}`);
          return view.status === "completed" || view.status === "failed" ? view : undefined;
        },
        180_000,
      );
      expect(done.status, JSON.stringify(done)).toBe("completed");
      const rounds = await ok<{ outputModelCid: string }[]>(coordinator.url, "GET", `/jobs/${job.id}/rounds`);
      const token = await signInAs(coordinator.url, researcher, coordinator.config.chainId);
      const fetchModel = async (cid: string) => {
        const response = await fetch(`${coordinator.url}/models/${cid}`, {
          headers: { authorization: `Bearer ${token}` },
        });
        return bytesToWeights(new Uint8Array(await response.arrayBuffer()));
      };
      const initial = await fetchModel(job.modelCid);
      const model = await fetchModel(rounds[0]?.outputModelCid as string);
      expect(model.length).toBe(initial.length);

      // The reference without noise: FedAvg of the updates clipped to L2 norm C, then per coordinate to ±clip.
      const total = records.reduce((sum, n) => sum + n, 0);
      const cap = Math.max(...records);
      const expected = Float64Array.from(initial);
      for (const [index, owner] of owners.entries()) {
        const update = updates.get(owner.address) as Float32Array;
        const norm = Math.sqrt(update.reduce((sum, value) => sum + value * value, 0));
        const factor = Math.min(1, 1 / norm);
        for (let i = 0; i < update.length; i++) {
          const clipped = Math.min(CLIP, Math.max(-CLIP, (update[i] as number) * factor));
          expected[i] = (expected[i] as number) + ((records[index] as number) * clipped) / total;
        }
      }
      // Each word carries a share of σ_share = z·(scale·C + √d/2)/√t; the sum of three, times cap/(scale·Σn), is the
      // model's noise per coordinate.
      const d = model.length;
      const shareSigma = (1 * (scale * 1 + Math.sqrt(d) / 2)) / Math.sqrt(2);
      const sigma = (shareSigma * Math.sqrt(records.length) * cap) / (scale * total);
      let squares = 0;
      for (let i = 0; i < d; i++) squares += ((model[i] as number) - (expected[i] as number)) ** 2;
      const measured = Math.sqrt(squares / d);
      // 7,850 coordinates: the sample sd is within ~1.6 % of σ (1 sd); 6 % is far outside chance.
      expect(Math.abs(measured / sigma - 1)).toBeLessThan(0.06);

      // Each owner's ledger charged the distributed mechanism: one full-batch Gaussian step at z = 1.
      const charged = new RdpAccountant().step(1, 1, 1).getEpsilon(1e-5).epsilon;
      for (const owner of owners) expect((await owner.privacy.refresh()).epsilon).toBeCloseTo(charged, 9);
    } finally {
      for (const agent of dpAgents) agent.stop();
      await coordinator.close();
    }
  }, 300_000);
});
