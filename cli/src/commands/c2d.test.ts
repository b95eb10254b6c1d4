import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { requestC2dRun } from "@tributary/compute-to-data";
import { SimulatedAttestationVerifier } from "@tributary/enclave-compute";
import { C2dNodeInfoSchema, type DatasetId } from "@tributary/protocol";
import { Command } from "commander";
import { Wallet } from "ethers";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { type NodeWorld, startNodeWorld, writeRecords } from "../../../compute-to-data/test-support/c2d-world.js";
import { captured, jsonLine, tributary } from "../../test-support/run-tributary.js";
import { registerC2dCommand } from "./c2d.js";

const researcher = Wallet.createRandom();
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "c2d-cli-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});
afterEach(() => {
  vi.unstubAllEnvs();
});

describe("tributary c2d serve", () => {
  it("serves the owner's allowlist over the local records until stopped, charging the trainer's ledger", async () => {
    const { file } = await writeRecords(dir, 500, "cli-records");
    const stateDir = path.join(dir, "trainer-state");
    let stop = () => {};
    const stopped = new Promise<void>((resolve) => {
      stop = resolve;
    });
    let listening: (url: string) => void = () => {};
    const url = new Promise<string>((resolve) => {
      listening = resolve;
    });
    const program = new Command().exitOverride();
    registerC2dCommand(program, { stop: stopped, onListening: listening });
    const serving = captured(() =>
      program.parseAsync([
        ...["node", "tributary", "c2d", "serve", "--dataset-id", "9", "--format", "csv", "--data", file],
        ...["--num-classes", "3", "--allow", "dp-count,dp-histogram", "--researchers", researcher.address],
        ...["--state-dir", stateDir, "--port", "0", "--json"],
      ]),
    );
    const node = await url;
    const info = C2dNodeInfoSchema.parse(await (await fetch(`${node}/v1/node`)).json());
    expect(info).toMatchObject({
      datasetId: "9",
      records: 500,
      researchers: [researcher.address.toLowerCase()],
      policy: { minRecordsPerCell: 20, maxEpsilonPerRun: 1, maxRequestTtlS: 3600 },
      privacy: { epsilonBudget: 10, delta: 1e-5, epsilonSpent: 0 },
      tee: { kind: "simulated", simulated: true },
    });
    expect(info.algorithms.map((algorithm) => algorithm.name)).toEqual(["dp-count", "dp-histogram"]);
    const { result } = await requestC2dRun({
      node,
      signer: researcher,
      datasetId: "9" as DatasetId,
      algorithm: "dp-count",
      params: { epsilon: 0.25 },
      expiresInS: 60,
      acceptance: { verifiers: [new SimulatedAttestationVerifier()], allowSimulated: true, measurements: [] },
    });
    expect(result.privacy.epsilonSpent).toBe(0.25);
    // The trainer's ledger in the state directory holds it.
    const ledger = JSON.parse(await readFile(path.join(stateDir, "privacy-ledger-9.json"), "utf8"));
    expect(ledger.datasets["9"].byLabel).toEqual({
      "c2d:dp-count": { spends: 1, gaussian: [], other: [{ epsilon: 0.25, delta: 0 }] },
    });
    stop();
    const done = await serving;
    expect(done.code).toBe(0);
    expect(done.stderr).toMatch(/\[c2d\] WARNING: .*SIMULATED ATTESTATION/);
    expect(jsonLine(done.stdout)).toEqual({ ok: true, action: "c2d serve", url: node, datasetId: "9" });
  });

  it("refuses to start with an algorithm this version does not have, naming those it has", async () => {
    const { file } = await writeRecords(dir, 50, "cli-small");
    const result = await tributary(
      ...["c2d", "serve", "--dataset-id", "9", "--format", "csv", "--data", file, "--num-classes", "3"],
      ...["--allow", "dp-count,dp-sum", "--researchers", "any", "--state-dir", path.join(dir, "refused")],
    );
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(
      /^tributary: no algorithm dp-sum \(this version has dp-count, dp-mean, dp-histogram, dp-quantiles, tributary-train-step\)\n$/,
    );
  });
});

describe("tributary c2d run", () => {
  let world: NodeWorld;
  let params: string;
  beforeAll(async () => {
    world = await startNodeWorld({ allow: ["dp-count"] });
    params = path.join(dir, "count.json");
    await writeFile(params, JSON.stringify({ epsilon: 0.5, where: { label: 1 } }));
  });
  afterAll(async () => {
    await world.service.close();
    await rm(world.dir, { recursive: true, force: true });
  });

  const runFlags = (algorithm = "dp-count") => [
    ...["c2d", "run", "--node", world.service.url, "--dataset", "7", "--algorithm", algorithm, "--params", params],
  ];

  it("signs with the researcher's key, checks the attestation and prints the output and its cost", async () => {
    vi.stubEnv("TRIBUTARY_RESEARCHER_KEY", researcher.privateKey);
    const out = path.join(dir, "answer.json");
    const result = await tributary(...runFlags(), "--allow-simulated", "--out", out, "--json");
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/WARNING: this run was attested by the SIMULATOR, not a TEE/);
    const line = jsonLine(result.stdout);
    const truth = world.rows.filter((row) => row.label === 1).length;
    expect(line).toMatchObject({
      ok: true,
      action: "c2d run",
      algorithm: "dp-count",
      privacy: { epsilonCharged: 0.5 },
      attestation: { kind: "simulated", simulated: true },
    });
    // Within the geometric mechanism's 1e-6 tail: P(|K| >= m) = 2ρ^m/(1+ρ), ρ = e^{−0.5}.
    const rho = Math.exp(-0.5);
    expect(Math.abs((line.output as { count: number }).count - truth)).toBeLessThan(
      Math.log(2 / (1e-6 * (1 + rho))) / 0.5,
    );
    expect(JSON.parse(await readFile(out, "utf8"))).toMatchObject({ outputHash: line.outputHash });
    const human = await tributary(...runFlags(), "--allow-simulated");
    expect(human.stdout).toMatch(/^output: \{"count":-?\d+\}$/m);
    expect(human.stdout).toMatch(/^attested by the SIMULATOR \(no TEE\) with measurement [0-9a-f]{96}/m);
  });

  it("exits 1 on the simulator's attestation without --allow-simulated, and on a node's refusal", async () => {
    vi.stubEnv("TRIBUTARY_RESEARCHER_KEY", researcher.privateKey);
    const simulated = await tributary(...runFlags());
    expect(simulated.code).toBe(1);
    expect(simulated.stderr).toMatch(/^tributary: the run was attested by the SIMULATOR \(no TEE\)/);
    const refused = await tributary(...runFlags("dp-mean"), "--allow-simulated", "--json");
    expect(refused.code).toBe(1);
    expect(jsonLine(refused.stdout)).toMatchObject({
      ok: false,
      error: { code: "C2D_ALGORITHM_NOT_ALLOWED", details: { status: 403 } },
    });
  });

  it("needs the researcher's key", async () => {
    vi.stubEnv("TRIBUTARY_RESEARCHER_KEY", undefined);
    const result = await tributary(...runFlags(), "--allow-simulated");
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/TRIBUTARY_RESEARCHER_KEY/);
  });
});
