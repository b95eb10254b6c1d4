import { LocalChain } from "@tributary/contracts/local-chain";
import type { Coordinator } from "@tributary/coordinator";
import { bytesToWeights, encodeValidationSet, type JobId, type TrainInstruction } from "@tributary/protocol";
import { Wallet } from "ethers";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { DATABASES, type TestDatabase } from "../../../coordinator/test-support/databases.js";
import { favourDirectionInScoring } from "../../../coordinator/test-support/dishonest-scoring.js";
import * as onChain from "../../../coordinator/test-support/on-chain-job.js";
import { signInAs } from "../../../coordinator/test-support/rest.js";
import type { ScriptedTrainer } from "../../../coordinator/test-support/scripted-trainer.js";
import { jsonLine, tributary } from "../../test-support/run-tributary.js";

/** Hardhat's first account (its published development key): LocalChain's deployer, the jobs' researcher. */
const RESEARCHER = new Wallet("0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80");
/** The auditor each job's spec names: it may read the job's spec, models and updates, not the validation set. */
const AUDITOR = new Wallet(`0x${"42".repeat(32)}`);

let chain: LocalChain;
let db: TestDatabase;
let coordinator: Coordinator;
let sender: Wallet;
let validationSetCid: string;
/** Chain intents the coordinator has confirmed so far: each job adds acceptJob, two anchors and finalizeJob. */
let intents = 0;

/** 64 examples of 4 features, labelled 0 or 1, for the jobs' linear model (4 → 2, mean squared error). */
function validationSetArrays() {
  const features = Float32Array.from({ length: 64 * 4 }, (_, i) => Math.sin(i * 1.3) + Math.cos(i * 0.7));
  const labels = Int32Array.from({ length: 64 }, (_, n) => (Math.sin(n * 2.1) > 0 ? 1 : 0));
  return { features, labels };
}

function validationSet(): Uint8Array {
  return encodeValidationSet({ featureShape: [4], ...validationSetArrays() });
}

beforeAll(async () => {
  chain = await LocalChain.start();
  db = await (DATABASES[0] as (typeof DATABASES)[number]).setup();
  sender = await chain.fundedWallet();
  coordinator = await onChain.startChainCoordinator(chain, db, sender);
  const token = await signInAs(coordinator.url, RESEARCHER, chain.chainId);
  const uploaded = await fetch(`${coordinator.url}/validation-sets`, {
    method: "POST",
    headers: { "content-type": "application/octet-stream", authorization: `Bearer ${token}` },
    body: validationSet(),
  });
  expect(uploaded.status).toBe(201);
  validationSetCid = ((await uploaded.json()) as { cid: string }).cid;
});

afterAll(async () => {
  await coordinator?.close();
  await db?.cleanup();
  await chain?.stop();
});

afterEach(() => {
  vi.unstubAllEnvs();
});

/** A job scored by leave-one-out on the researcher's validation set, naming AUDITOR, with its three trainers joined. */
async function startJob(): Promise<{ jobId: JobId; trainers: ScriptedTrainer[] }> {
  const { owners, datasets, jobId } = await onChain.createOnChainJob(chain, coordinator, sender, 2, undefined, {
    scoring: { method: "leave-one-out", validationSetCid: validationSetCid as never },
    auditors: [AUDITOR.address as never],
  });
  return { jobId, trainers: await onChain.connectTrainers(coordinator, owners, datasets, jobId) };
}

/** `tributary ledger verify --recompute-scores` as the auditor. */
function verify(jobId: string, ...extra: string[]) {
  vi.stubEnv("TRIBUTARY_AUDITOR_KEY", AUDITOR.privateKey);
  return tributary(
    "ledger",
    "verify",
    "--job",
    jobId,
    "--rpc",
    chain.url,
    "--coordinator",
    coordinator.url,
    "--training-jobs",
    chain.system.deployment.contracts.TrainingJobs,
    "--recompute-scores",
    ...extra,
  );
}

const dot = (a: ArrayLike<number>, b: ArrayLike<number>) =>
  Array.from(a).reduce((sum, value, i) => sum + value * (b[i] as number), 0);

/**
 * The jobs' validation loss written out (not the coordinator's code): the linear model 4 → 2 (kernel [4, 2] row-major,
 * then the bias) with mean squared error against one-hot labels, averaged over outputs and examples.
 */
function validationLoss(weights: ArrayLike<number>): number {
  const { features, labels } = validationSetArrays();
  let total = 0;
  for (let n = 0; n < labels.length; n++) {
    for (let out = 0; out < 2; out++) {
      let prediction = weights[8 + out] as number;
      for (let k = 0; k < 4; k++) prediction += (features[n * 4 + k] as number) * (weights[k * 2 + out] as number);
      total += (prediction - (labels[n] === out ? 1 : 0)) ** 2 / 2;
    }
  }
  return total / labels.length;
}

/** Honest leave-one-out values loss(N without i) − loss(N) of FedAvg (weights EXAMPLES) over `deltas` from `global`. */
function leaveOneOut(global: Float32Array, deltas: readonly Float32Array[]): number[] {
  const lossOf = (members: number[]) => {
    const total = members.reduce((sum, i) => sum + (onChain.EXAMPLES[i] as number), 0);
    return validationLoss(
      Array.from(global, (value, j) =>
        members.reduce((sum, i) => sum + ((onChain.EXAMPLES[i] as number) * (deltas[i]?.[j] as number)) / total, value),
      ),
    );
  };
  const all = deltas.map((_, i) => i);
  return all.map((i) => lossOf(all.filter((k) => k !== i)) - lossOf(all));
}

/** `vector` less its projection on the span of `others` (Gram–Schmidt, float64). */
function ownComponent(vector: Float32Array, others: readonly Float32Array[]): Float32Array {
  const basis: number[][] = [];
  for (const other of others) {
    const orthogonal = Array.from(other);
    for (const unit of basis) {
      const along = dot(orthogonal, unit);
      for (const [i, value] of unit.entries()) orthogonal[i] = (orthogonal[i] as number) - along * value;
    }
    const norm = Math.sqrt(dot(orthogonal, orthogonal));
    basis.push(orthogonal.map((value) => value / norm));
  }
  const own = Array.from(vector);
  for (const unit of basis) {
    const along = dot(own, unit);
    for (const [i, value] of unit.entries()) own[i] = (own[i] as number) - along * value;
  }
  return Float32Array.from(own);
}

interface Report {
  ok: boolean;
  recomputed: { method: string; rounds: number; leaves: number; evaluations: number; backend: string } | null;
  disagreements: { kind: string; round?: number; trainer?: string; expected?: string; actual?: string }[];
}

describe("tributary ledger verify --recompute-scores, on a job a real coordinator ran", () => {
  it("is refused while the validation set is not public, then agrees with an honest coordinator's scores", async () => {
    const { jobId, trainers } = await startJob();
    await onChain.trainRound(trainers, 1);
    await onChain.intentsSettled(coordinator, intents + 2); // acceptJob and round 0's anchor
    const early = await verify(jobId);
    expect(early.code).toBe(2);
    expect(early.stderr).toMatch(
      new RegExp(
        `^tributary: the validation set ${validationSetCid} is not public yet \\(.*answered 403.*\\): until job ${jobId} completes only its uploader may read it`,
      ),
    );
    const withoutBlobs = await verify(jobId, "--skip-blobs");
    expect(withoutBlobs.code).toBe(2);
    expect(withoutBlobs.stderr).toContain("--recompute-scores scores the rounds from their blobs");

    await onChain.trainRound(trainers, 10);
    await onChain.evaluate(trainers, 1);
    intents = (await onChain.intentsSettled(coordinator, intents + 4)).length;
    for (const trainer of trainers) trainer.close();
    const agreed = await verify(jobId, "--json");
    const report = jsonLine(agreed.stdout) as unknown as Report;
    expect(report.disagreements).toEqual([]);
    expect(agreed.code).toBe(0);
    // Leave-one-out of 3 updates evaluates 4 models a round.
    expect(report.recomputed).toMatchObject({ method: "leave-one-out", rounds: 2, leaves: 6, evaluations: 8 });
    const human = await verify(jobId);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(
      /recomputed the leave-one-out scores of 2 rounds \(6 leaves, 8 evaluations on the validation set, backend \w+\)/,
    );
    expect(human.stdout).toContain("and every score with its recomputation");
    expect(human.stderr).toContain("recomputed the scores of round 1: 3 leaves, 4 evaluations");
  }, 120_000);

  it("names the round and the trainer a coordinator favoured in its scores, though every root and payout agrees", async () => {
    const { jobId, trainers } = await startJob();
    await onChain.trainRound(trainers, 1);
    await onChain.intentsSettled(coordinator, intents + 2); // round 0 is scored honestly and anchored
    // Round 1: three updates in independent directions. The coordinator favours the trainer an honest
    // leave-one-out values least (so its share can only rise): it rewards models that moved along what only that
    // trainer's update brings (its delta without its projection on the other two), enough to outweigh every honest
    // score. The job's starting model is random, so which trainer that is is worked out from round 1's model here.
    const deltas = [0, 1, 2].map((i) =>
      Float32Array.from({ length: 10 }, (_, j) => Math.sin(1.7 * i * j + i + 0.3 * j) / 10),
    );
    const instructions = await Promise.all(trainers.map((trainer) => trainer.next()));
    const first = instructions[0]?.instruction as TrainInstruction;
    const model = await fetch(`${coordinator.url}/models/${first.modelCid}`, {
      headers: { authorization: `Bearer ${(trainers[0] as ScriptedTrainer).token}` },
    });
    expect(model.status).toBe(200);
    const global = bytesToWeights(new Uint8Array(await model.arrayBuffer()));
    const honest = leaveOneOut(global, deltas);
    const index = honest.indexOf(Math.min(...honest));
    const favoured = trainers[index] as ScriptedTrainer;
    const own = ownComponent(
      deltas[index] as Float32Array,
      deltas.filter((_, i) => i !== index),
    );
    const weight = (onChain.EXAMPLES[index] as number) / onChain.EXAMPLES.reduce((a, b) => a + b, 0);
    const spread = Math.max(...honest.map(Math.abs)) + 1e-3;
    const strength = (20 * spread) / (weight * dot(own, own));
    const honestAgain = favourDirectionInScoring(coordinator, own, strength);
    try {
      for (const [i, trainer] of trainers.entries()) {
        const instruction = instructions[i]?.instruction as TrainInstruction;
        const ack = await trainer.submit(instruction, deltas[i] as Float32Array, onChain.EXAMPLES[i] as number);
        expect(ack.ok).toBe(true);
      }
      await onChain.evaluate(trainers, 1);
      intents = (await onChain.intentsSettled(coordinator, intents + 4)).length;
    } finally {
      honestAgain();
    }
    for (const trainer of trainers) trainer.close();
    // Without recomputing, the audit finds nothing: the dishonest scores were anchored and paid consistently.
    const plain = await tributary(
      ...["ledger", "verify", "--job", jobId, "--rpc", chain.url, "--coordinator", coordinator.url],
      ...["--training-jobs", chain.system.deployment.contracts.TrainingJobs, "--json"],
    );
    expect(jsonLine(plain.stdout)).toMatchObject({ ok: true, disagreements: [] });

    const caught = await verify(jobId, "--json");
    expect(caught.code).toBe(1);
    const report = jsonLine(caught.stdout) as unknown as Report;
    expect(report.disagreements.every((d) => d.kind === "score-recomputed" && d.round === 1)).toBe(true);
    const named = report.disagreements.find((d) => d.trainer === favoured.address);
    expect(named).toBeDefined();
    expect(BigInt(named?.actual ?? 0)).toBeGreaterThan(BigInt(named?.expected ?? 0));
    const human = await verify(jobId);
    expect(human.code).toBe(1);
    expect(human.stdout).toMatch(
      new RegExp(
        `\\[score-recomputed\\] round 1: leaf of ${favoured.address}: anchored score [01]\\.\\d+ of the round ≠`,
      ),
    );
  }, 120_000);
});
