import { createHash, randomBytes } from "node:crypto";
import { readFile, rm } from "node:fs/promises";
import { SimulatedAttestationVerifier } from "@tributary/enclave-compute";
import {
  type Bytes32,
  type C2dRunRequest,
  C2dRunResultSchema,
  c2dRequestDigest,
  canonicalJson,
  type JobId,
  signC2dRunRequest,
} from "@tributary/protocol";
import { DatasetPrivacyGuard, privacyLedgerFile } from "@tributary/trainer-agent";
import { Wallet } from "ethers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DATASET_ID, type NodeWorld, type Row, startNodeWorld } from "../test-support/c2d-world.js";
import { algorithmHash, paramsHash } from "./algorithms/c2d-algorithm.js";
import { findAlgorithm } from "./algorithms/catalogue.js";
import { C2dNodeRefusedError, requestC2dRun, verifyRunResult } from "./c2d-client.js";
import { c2dRunLogFile, RunLog } from "./run-log.js";

const researcher = Wallet.createRandom();
const simulatedOk = { verifiers: [new SimulatedAttestationVerifier()], allowSimulated: true, measurements: [] };

/**
 * The geometric mechanism's tail, in closed form: P(|K| >= m) = 2ρ^m/(1 + ρ) with ρ = e^{−ε/Δ}; the smallest m with
 * that at most p, so |K| < m with probability at least 1 − p.
 */
function tail(epsilon: number, sensitivity: number, p: number): number {
  const rho = Math.exp(-epsilon / sensitivity);
  return Math.ceil(Math.log(2 / (p * (1 + rho))) / (epsilon / sensitivity));
}

function run(world: NodeWorld, algorithm: string, params: Record<string, unknown>, signer = researcher) {
  return requestC2dRun({
    node: world.service.url,
    signer,
    datasetId: DATASET_ID,
    algorithm,
    params,
    expiresInS: 300,
    acceptance: simulatedOk,
  });
}

/** A request built and signed by hand (to name a wrong hash, replay, or expire), posted as is. */
async function post(world: NodeWorld, overrides: Partial<C2dRunRequest>, params: Record<string, unknown>) {
  const request: C2dRunRequest = {
    datasetId: DATASET_ID,
    datasetCommitment: world.loaded.commitment,
    algorithm: "dp-count",
    algorithmHash: algorithmHash(findAlgorithm("dp-count") as NonNullable<ReturnType<typeof findAlgorithm>>),
    paramsHash: paramsHash(params),
    researcher: researcher.address.toLowerCase() as `0x${string}`,
    nonce: `0x${randomBytes(32).toString("hex")}` as Bytes32,
    expiresAt: Math.floor(Date.now() / 1000) + 300,
    ...overrides,
  };
  const body = JSON.stringify({ request, signature: await signC2dRunRequest(researcher, request), params });
  const send = async () => {
    const response = await fetch(`${world.service.url}/v1/runs`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body,
    });
    return { status: response.status, body: (await response.json()) as { error?: { code: string; message: string } } };
  };
  return { request, send };
}

const spentOnDisk = async (world: NodeWorld) => (await world.guard.refresh()).epsilon;

describe("a compute-to-data node's DP statistics", () => {
  let world: NodeWorld;
  beforeAll(async () => {
    world = await startNodeWorld({ budget: { epsilon: 50, delta: 1e-5 } });
  });
  afterAll(async () => {
    await world.service.close();
    await rm(world.dir, { recursive: true, force: true });
  });

  it("counts the records of a class within the geometric mechanism's 1e-6 tail, charging exactly ε", async () => {
    const truth = world.rows.filter((row) => row.label === 2).length;
    const before = await spentOnDisk(world);
    const { result, claims } = await run(world, "dp-count", { epsilon: 0.5, where: { label: 2 } });
    expect(Math.abs((result.output.count as number) - truth)).toBeLessThan(tail(0.5, 1, 1e-6));
    expect(result.privacy.epsilonCharged).toBe(0.5);
    expect(result.privacy.epsilonSpent).toBeCloseTo(before + 0.5, 12);
    expect(claims).toMatchObject({ kind: "simulated", simulated: true });
  });

  it("releases a histogram of labels and of a feature's ranges, every bin within its tail", async () => {
    const labels = await run(world, "dp-histogram", { of: "label", epsilon: 1 });
    const truth = [0, 1, 2].map((label) => world.rows.filter((row) => row.label === label).length);
    const counts = labels.result.output.counts as number[];
    expect(counts).toHaveLength(3);
    counts.forEach((count, bin) => {
      expect(Math.abs(count - (truth[bin] as number))).toBeLessThan(tail(1, 1, 1e-6 / 3));
    });
    const edges = [18, 30, 45, 60, 88];
    const ages = await run(world, "dp-histogram", { of: "feature", epsilon: 1, feature: 0, edges });
    const ageCounts = ages.result.output.counts as number[];
    ageCounts.forEach((count, bin) => {
      const inBin = (row: Row) =>
        row.age >= (edges[bin] as number) && (bin === edges.length - 2 || row.age < (edges[bin + 1] as number));
      expect(Math.abs(count - world.rows.filter(inBin).length)).toBeLessThan(tail(1, 1, 1e-6 / 4));
    });
  });

  it("releases clipped means as noisy sum over noisy count, within the closed-form interval", async () => {
    const lower = 0;
    const upper = 100;
    const { result } = await run(world, "dp-mean", { epsilon: 1, features: [1, 0], lower, upper });
    const n = world.rows.length;
    const means = result.output.means as number[];
    // ε/2 each: the count (sensitivity 1) and the two lattice sums (sensitivity 2·2^16 lattice steps of (upper−lower)/2^16).
    const countSlack = tail(0.5, 1, 1e-6);
    const sumSlack = (tail(0.5, 2 * 65_536, 1e-6) * (upper - lower)) / 65_536;
    expect(Math.abs((result.output.count as number) - n)).toBeLessThan(countSlack);
    for (const [index, pick] of [(row: Row) => row.income, (row: Row) => row.age].entries()) {
      const clipped = world.rows.map((row) => Math.min(upper, Math.max(lower, pick(row))));
      // Σ(x − lower) within half a lattice step per record of the true one, plus the noise.
      const shifted = clipped.reduce((sum, x) => sum + (x - lower), 0);
      const rounding = (n * (upper - lower)) / 65_536 / 2;
      const low = lower + (shifted - rounding - sumSlack) / (n + countSlack);
      const high = lower + (shifted + rounding + sumSlack) / (n - countSlack);
      expect(means[index]).toBeGreaterThanOrEqual(Math.max(lower, low));
      expect(means[index]).toBeLessThanOrEqual(Math.min(upper, high));
    }
  });

  it("releases quantiles by the exponential mechanism within its utility bound of the true ranks", async () => {
    const lower = 0;
    const upper = 100;
    const quantiles = [0.25, 0.5, 0.9];
    const { result } = await run(world, "dp-quantiles", { epsilon: 1.5, feature: 2, quantiles, lower, upper });
    // The documented grid: 2^16 + 1 points of [lower, upper], values rounded to the nearest.
    const grid = (x: number) => Math.round(((Math.min(upper, Math.max(lower, x)) - lower) / (upper - lower)) * 65_536);
    const data = world.rows.map((row) => grid(row.score));
    const bound = (2 / (1.5 / quantiles.length)) * (Math.log(65_537) + Math.log(1e6));
    (result.output.values as number[]).forEach((value, index) => {
      const j = grid(value);
      const q = (quantiles[index] as number) * data.length;
      expect(data.filter((x) => x < j).length - q).toBeLessThanOrEqual(bound);
      expect(q - data.filter((x) => x <= j).length).toBeLessThanOrEqual(bound);
    });
  });

  it("refuses an algorithm off the allowlist and one named at another hash, charging nothing", async () => {
    const narrow = await startNodeWorld({ allow: ["dp-count"] });
    try {
      await expect(run(narrow, "dp-mean", { epsilon: 1, features: [0], lower: 0, upper: 1 })).rejects.toMatchObject({
        code: "C2D_ALGORITHM_NOT_ALLOWED",
        details: { status: 403 },
      });
      const { send } = await post(narrow, { algorithmHash: `0x${"ee".repeat(32)}` as Bytes32 }, { epsilon: 1 });
      const answer = await send();
      expect(answer.status).toBe(403);
      expect(answer.body.error?.code).toBe("C2D_ALGORITHM_NOT_ALLOWED");
      expect(answer.body.error?.message).toMatch(
        /is not on this dataset's allowlist, which holds it at 0x[0-9a-f]{64}/,
      );
      expect(await spentOnDisk(narrow)).toBe(0);
    } finally {
      await narrow.service.close();
      await rm(narrow.dir, { recursive: true, force: true });
    }
  });

  it("refuses a replayed, an expired and a tampered request, and a researcher the owner did not name", async () => {
    const params = { epsilon: 0.1 };
    const { send } = await post(world, {}, params);
    expect((await send()).status).toBe(200);
    expect(await send()).toMatchObject({ status: 409, body: { error: { code: "C2D_NONCE_REPLAYED" } } });
    const expired = await post(world, { expiresAt: Math.floor(Date.now() / 1000) - 1 }, params);
    expect(await expired.send()).toMatchObject({ status: 400, body: { error: { code: "C2D_REQUEST_EXPIRED" } } });
    const otherParams = await post(world, { paramsHash: paramsHash({ epsilon: 0.2 }) }, params);
    expect(await otherParams.send()).toMatchObject({
      status: 400,
      body: { error: { code: "C2D_PARAMS_HASH_MISMATCH" } },
    });
    const closed = await startNodeWorld({ researchers: [`0x${"11".repeat(20)}`] });
    try {
      await expect(run(closed, "dp-count", params)).rejects.toMatchObject({ code: "C2D_RESEARCHER_NOT_ALLOWED" });
    } finally {
      await closed.service.close();
      await rm(closed.dir, { recursive: true, force: true });
    }
  });

  it("the researcher's client refuses the simulator unless allowed, and any answer the attestation does not bind", async () => {
    await expect(
      requestC2dRun({
        node: world.service.url,
        signer: researcher,
        datasetId: DATASET_ID,
        algorithm: "dp-count",
        params: { epsilon: 0.1 },
        expiresInS: 60,
        acceptance: { ...simulatedOk, allowSimulated: false },
      }),
    ).rejects.toMatchObject({ code: "C2D_ATTESTATION_REJECTED", message: /SIMULATOR/ });
    const { request, result } = await run(world, "dp-count", { epsilon: 0.1 });
    const acceptance = { ...simulatedOk, now: Date.now() };
    const forged = { ...result, output: { count: (result.output.count as number) + 100 } };
    await expect(verifyRunResult(request, forged, acceptance)).rejects.toMatchObject({ code: "C2D_ANSWER_MISMATCH" });
    const rehashed = {
      ...forged,
      outputHash: `0x${createHash("sha256").update(canonicalJson(forged.output)).digest("hex")}` as Bytes32,
    };
    await expect(verifyRunResult(request, rehashed, acceptance)).rejects.toMatchObject({
      code: "C2D_ATTESTATION_REJECTED",
      message: /binds another algorithm, params or output/,
    });
    const otherRequest = { ...request, nonce: `0x${"00".repeat(32)}` as Bytes32 };
    await expect(verifyRunResult(otherRequest, result, acceptance)).rejects.toMatchObject({
      message: /answers another request/,
    });
  });

  it("logs every request, accepted or refused, each accepted one with an attestation binding its hashes", async () => {
    const entries = await RunLog.read(c2dRunLogFile(world.stateDir, DATASET_ID));
    // The requests this node answered above, in order: the five statistics; a request, its replay, an expired one
    // and one with other params; the two runs whose answers the client then refused (the node ran them).
    expect(entries.map((entry) => entry.status)).toEqual([
      ...Array<string>(6).fill("completed"),
      ...["refused", "refused", "refused"],
      ...["completed", "completed"],
    ]);
    const verifier = new SimulatedAttestationVerifier();
    for (const entry of entries.filter((e) => e.status === "completed")) {
      const request = entry.request as C2dRunRequest;
      const attestation = entry.attestation as NonNullable<typeof entry.attestation>;
      const claims = await verifier.verify(Buffer.from(attestation.document, "base64"));
      const binding = createHash("sha256")
        .update("tributary-c2d-run-v1")
        .update(Buffer.from(request.algorithmHash.slice(2), "hex"))
        .update(Buffer.from(request.paramsHash.slice(2), "hex"))
        .update(Buffer.from((entry.outputHash as string).slice(2), "hex"))
        .digest();
      expect(Buffer.from(claims.userData).equals(binding)).toBe(true);
      expect(Buffer.from(claims.nonce).toString("hex")).toBe(c2dRequestDigest(request).slice(2));
    }
    expect(
      entries.filter((e) => e.status === "refused").map((e) => [e.refusal?.code, e.privacy, e.attestation]),
    ).toEqual([
      ["C2D_NONCE_REPLAYED", null, null],
      ["C2D_REQUEST_EXPIRED", null, null],
      ["C2D_PARAMS_HASH_MISMATCH", null, null],
    ]);
  });
});

describe("the privacy budget a node shares with the owner's trainer", () => {
  it("refuses a run the budget cannot pay for with nothing charged; a trainer started afterwards sees the rest", async () => {
    const world = await startNodeWorld({ budget: { epsilon: 1, delta: 1e-5 } });
    try {
      const first = await run(world, "dp-count", { epsilon: 0.8 });
      expect(first.result.privacy).toMatchObject({ epsilonCharged: 0.8, epsilonSpent: 0.8, epsilonBudget: 1 });
      const ledger = await readFile(privacyLedgerFile(world.stateDir, DATASET_ID), "utf8");
      await expect(run(world, "dp-count", { epsilon: 0.5 })).rejects.toMatchObject({
        code: "PRIVACY_BUDGET_EXCEEDED",
        details: { status: 403 },
      });
      expect(await readFile(privacyLedgerFile(world.stateDir, DATASET_ID), "utf8")).toBe(ledger);
      // The owner's trainer, started on the same state directory, enforces the same ε 1: 0.2 is left for training.
      const trainer = await DatasetPrivacyGuard.open(world.stateDir, DATASET_ID, { epsilon: 1, delta: 1e-5 });
      expect(trainer.spent().epsilon).toBeCloseTo(0.8, 12);
      const round = (jobId: string, targetEpsilon: number) =>
        trainer.prepareRound({
          jobId: jobId as JobId,
          round: 0,
          rounds: 1,
          datasetSize: 2000,
          hyperParams: {
            localEpochs: 1,
            batchSize: 50,
            learningRate: 0.1,
            proximalMu: 0,
            dp: { mode: "dp-sgd", l2NormClip: 1, targetEpsilon, delta: 1e-5 },
          },
        });
      await expect(round("3", 0.5)).rejects.toMatchObject({ code: "PRIVACY_BUDGET_EXCEEDED" });
      const afforded = await round("4", 0.15);
      expect(afforded.charged.epsilonSpent).toBeGreaterThan(0.8);
      expect(afforded.charged.epsilonSpent).toBeLessThanOrEqual(1);
      // And the node sees the trainer's spending in turn.
      const info = (await (await fetch(`${world.service.url}/v1/node`)).json()) as {
        privacy: { epsilonSpent: number };
      };
      expect(info.privacy.epsilonSpent).toBe(afforded.charged.epsilonSpent);
    } finally {
      await world.service.close();
      await rm(world.dir, { recursive: true, force: true });
    }
  });
});

describe("the output policy", () => {
  it("refuses output finer than the owner allows, and record-level output, before anything is charged", async () => {
    const world = await startNodeWorld({ records: 100, minRecordsPerCell: 10 });
    try {
      const edges = Array.from({ length: 13 }, (_, i) => i * 10);
      await expect(run(world, "dp-histogram", { of: "feature", epsilon: 1, feature: 2, edges })).rejects.toMatchObject({
        code: "C2D_OUTPUT_POLICY",
        details: { status: 422, stage: "before-run", cells: 12, mostCells: 10 },
      });
      const quantiles = Array.from({ length: 99 }, (_, i) => (i + 1) / 100);
      await expect(
        run(world, "dp-quantiles", { epsilon: 1, feature: 2, quantiles, lower: 0, upper: 100 }),
      ).rejects.toMatchObject({ code: "C2D_OUTPUT_POLICY", message: /record-level output/ });
      expect(await spentOnDisk(world)).toBe(0);
      const ten = await run(world, "dp-histogram", {
        of: "feature",
        epsilon: 1,
        feature: 2,
        edges: edges.slice(0, 11),
      });
      expect(C2dRunResultSchema.parse(ten.result).output.counts).toHaveLength(10);
    } finally {
      await world.service.close();
      await rm(world.dir, { recursive: true, force: true });
    }
  });

  it("refuses a run costing more ε than the owner's per-run cap (and documents its routes)", async () => {
    const world = await startNodeWorld({ maxEpsilonPerRun: 0.5 });
    try {
      const openapi = (await (await fetch(`${world.service.url}/openapi.json`)).json()) as { paths: object };
      expect(Object.keys(openapi.paths)).toEqual(expect.arrayContaining(["/v1/node", "/v1/runs", "/health"]));
      const refused = run(world, "dp-count", { epsilon: 0.6 });
      await expect(refused).rejects.toBeInstanceOf(C2dNodeRefusedError);
      await expect(refused).rejects.toMatchObject({ code: "C2D_EPSILON_ABOVE_CAP" });
      expect(await spentOnDisk(world)).toBe(0);
    } finally {
      await world.service.close();
      await rm(world.dir, { recursive: true, force: true });
    }
  });
});
