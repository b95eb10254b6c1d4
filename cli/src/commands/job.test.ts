import { writeFile } from "node:fs/promises";
import path from "node:path";
import { encodeValidationSet, type JobId } from "@tributary/protocol";
import { parseEther, type Wallet } from "ethers";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { expectTinyModelFiles, ResearcherWorld, TINY_SPEC } from "../../test-support/researcher-world.js";
import { jsonLine, tributary } from "../../test-support/run-tributary.js";

let world: ResearcherWorld;
let specFile: string;
let researcher: Wallet;
/** The job created in the first test and run to completion by the watch test. */
let jobId: JobId;

beforeAll(async () => {
  world = await ResearcherWorld.start();
  specFile = path.join(world.dir, "spec.json");
  await writeFile(specFile, JSON.stringify(TINY_SPEC));
  researcher = await world.researcher(parseEther("200"));
});

afterAll(async () => {
  await world?.close();
});

afterEach(() => {
  vi.unstubAllEnvs();
});

const as = (wallet: Wallet) => vi.stubEnv("TRIBUTARY_RESEARCHER_KEY", wallet.privateKey);
const chainFlags = () => ["--rpc", world.chain.url, "--deployment", world.deploymentFile];
const flags = () => [...chainFlags(), "--coordinator", world.coordinator.url];
const create = (...extra: string[]) =>
  tributary("job", "create", specFile, ...flags(), "--datasets", world.datasets.join(","), "--rounds", "2", ...extra);

const onChain = (id: string) => world.chain.system.contracts.jobs.getJob(BigInt(id));
const balance = (wallet: Wallet) => world.chain.tokenBalance(wallet.address);

describe("tributary job create", () => {
  it("uploads the spec, approves and escrows the reward on TrainingJobs, and waits for the adoption", async () => {
    as(researcher);
    const before = await balance(researcher);
    const result = await create("--reward", "50", "--json");
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    const line = jsonLine(result.stdout) as Record<string, unknown> & { transactions: { call: string }[] };
    expect(line).toMatchObject({
      ok: true,
      researcher: researcher.address.toLowerCase(),
      coordinator: world.sender.address.toLowerCase(),
      reward: String(parseEther("50")),
      rounds: 2,
      datasetIds: world.datasets,
      validationSetCid: null,
    });
    expect(line.transactions.map((tx) => tx.call)).toEqual(["TRIB.approve", "TrainingJobs.createJob"]);
    jobId = line.jobId as JobId;
    const job = await onChain(jobId);
    expect(job.researcher).toBe(researcher.address);
    expect(job.escrow).toBe(parseEther("50"));
    expect(job.modelSpecHash).toBe(line.modelSpecHash);
    expect(before - (await balance(researcher))).toBe(parseEther("50"));
    const adopted = await fetch(`${world.coordinator.url}/jobs/${jobId}`);
    expect(adopted.status).toBe(200);
  });

  it("uploads the validation set and names its CID in the spec it commits to", async () => {
    as(researcher);
    const setFile = path.join(world.dir, "validation.bin");
    const features = Float32Array.from({ length: 12 }, (_, i) => i / 12);
    await writeFile(setFile, encodeValidationSet({ featureShape: [4], features, labels: Int32Array.from([0, 1, 0]) }));
    const result = await create("--reward", "40", "--validation-set", setFile, "--json");
    expect(result.code).toBe(0);
    const line = jsonLine(result.stdout);
    const served = (await (await fetch(`${world.coordinator.url}/jobs/${line.jobId}`)).json()) as {
      spec: { scoring: unknown };
    };
    expect(served.spec.scoring).toEqual({ method: "gtg-shapley", validationSetCid: line.validationSetCid });
  });

  it("refuses without a key, with a short balance, a short allowance under --no-approve, and a reward below the datasets' prices", async () => {
    const noKey = await create("--reward", "50");
    expect(noKey.code).toBe(2);
    expect(noKey.stderr).toBe(
      "tributary: give --keystore FILE or set TRIBUTARY_RESEARCHER_KEY to the researcher's private key\n",
    );

    const poor = await world.researcher(parseEther("10"));
    as(poor);
    const short = await create("--reward", "50", "--json");
    expect(short.code).toBe(1);
    expect(short.stderr).toMatch(/needs 50 TRIB .* but 0x[0-9a-fA-F]{40} holds 10 TRIB: 40 TRIB more needed/);
    expect(jsonLine(short.stdout)).toMatchObject({ ok: false, error: { code: "INSUFFICIENT_BALANCE" } });

    // One dataset for one round asks 5 TRIB: the 10 TRIB are there, the allowance is not.
    const allowance = await create(
      "--reward",
      "10",
      "--no-approve",
      "--rounds",
      "1",
      "--datasets",
      world.datasets[0] as string,
    );
    expect(allowance.code).toBe(1);
    expect(allowance.stderr).toContain("it is allowed 0 TRIB (--no-approve)");

    // Three datasets at 5 TRIB per round for 2 rounds ask 30 TRIB.
    const low = await create("--reward", "29");
    expect(low.code).toBe(1);
    expect(low.stderr).toContain("does not cover what the datasets ask: Σ pricePerRound × 2 rounds = 30 TRIB");
    expect(await balance(poor)).toBe(parseEther("10"));
  });

  it("refuses an invalid spec by its path, an unknown dataset, and reports a revert decoded", async () => {
    as(researcher);
    await writeFile(path.join(world.dir, "bad.json"), JSON.stringify({ ...TINY_SPEC, learningRate: -1 }));
    const bad = await tributary(
      "job",
      "create",
      path.join(world.dir, "bad.json"),
      ...flags(),
      "--datasets",
      "1",
      "--rounds",
      "1",
      "--reward",
      "50",
    );
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^tributary: invalid JobSpec: JobSpec\.learningRate: /);

    const unknown = await create("--reward", "50", "--datasets", "999");
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain("dataset 999 is not an active dataset on DatasetRegistry");

    const zero = await create("--reward", "50", "--coordinator-address", `0x${"0".repeat(40)}`, "--json");
    expect(zero.code).toBe(1);
    expect(zero.stderr).toContain(
      "TrainingJobs.createJob would revert with TrainingJobsInvalidCoordinator(); nothing was sent",
    );
    expect(jsonLine(zero.stdout)).toMatchObject({
      ok: false,
      error: { code: "REVERTED", details: { error: "TrainingJobsInvalidCoordinator" } },
    });
  });
});

describe("tributary job watch, show, model and reclaim on a job run to completion", () => {
  it("watch shows every round and exits 0 with the summary once the job is finalised on chain", async () => {
    const [watched] = await Promise.all([
      tributary("job", "watch", jobId, ...flags(), "--poll", "0.1", "--json"),
      world.train(jobId, 2),
    ]);
    expect(watched.code).toBe(0);
    expect(jsonLine(watched.stdout)).toMatchObject({
      ok: true,
      jobId,
      status: "completed",
      rounds: 2,
      accuracy: 0.5,
      chain: { status: "Finalized", roundsAnchored: 2 },
    });
    const human = await tributary("job", "watch", jobId, ...flags());
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/^round 1\/2 \[#{20}\] 3\/3 trainers/m);
    expect(human.stdout).toMatch(/^final eval +\[#{20}\] 3\/3 trainers {2}acc 50\.00%/m);
    expect(human.stdout).toContain(`job ${jobId} completed after 2 rounds: accuracy 50.00%`);
    expect(human.stdout).toContain("2 rounds anchored, Finalized on TrainingJobs");
  });

  it("show reads the chain and the coordinator; an unknown job is refused", async () => {
    const shown = await tributary("job", "show", jobId, ...flags(), "--json");
    expect(shown.code).toBe(0);
    const job = await onChain(jobId);
    expect(jsonLine(shown.stdout)).toMatchObject({
      jobId,
      chain: {
        status: "Finalized",
        roundsAnchored: 2,
        escrow: String(job.escrow),
        payoutTotal: String(job.payoutTotal),
      },
      coordinator: { job: { status: "completed" } },
    });
    const human = await tributary("job", "show", jobId, ...flags());
    expect(human.stdout).toMatch(/rounds anchored +2\/2/);
    const unknown = await tributary("job", "show", "999", ...flags());
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/^tributary: TrainingJobs 0x[0-9a-f]{40} knows no job 999\n$/);
  });

  it("model writes the final model the chain anchored; another key is refused", async () => {
    as(researcher);
    const outDir = path.join(world.dir, "model");
    const result = await tributary("job", "model", jobId, ...flags(), "--out", outDir, "--json");
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    const anchor = await world.chain.system.contracts.jobs.getRound(BigInt(jobId), 2n);
    // Scored by examples (no validation set): the job returns its last model, round 2's output (round index 1).
    expect(jsonLine(result.stdout)).toMatchObject({
      ok: true,
      sha256: anchor.modelHash,
      parameters: 10,
      returned: "last",
      round: 1,
    });
    await expectTinyModelFiles(outDir);

    as(await world.researcher(0n));
    const other = await tributary("job", "model", jobId, ...flags(), "--out", outDir);
    expect(other.code).toBe(1);
    expect(other.stderr).toContain(`job ${jobId} was created by ${researcher.address.toLowerCase()}`);
  });

  it("reclaim returns what the payouts and fee leave, once; another key and an unknown job are refused", async () => {
    const job = await onChain(jobId);
    const left = job.escrow - job.payoutTotal - job.fee;
    expect(left).toBeGreaterThan(0n);
    as(await world.researcher(0n));
    const other = await tributary("job", "reclaim", jobId, ...flags());
    expect(other.code).toBe(1);
    expect(other.stderr).toContain("only its researcher can do this");
    as(researcher);
    const unknown = await tributary("job", "reclaim", "999", ...flags());
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain("knows no job 999");
    const before = await balance(researcher);
    const reclaimed = await tributary("job", "reclaim", jobId, ...flags(), "--json");
    expect(reclaimed.code).toBe(0);
    expect(jsonLine(reclaimed.stdout)).toMatchObject({ ok: true, amount: String(left) });
    expect((await balance(researcher)) - before).toBe(left);
    const again = await tributary("job", "reclaim", jobId, ...flags());
    expect(again.code).toBe(1);
    expect(again.stderr).toContain(
      `TrainingJobs.reclaim would revert with TrainingJobsNothingToReclaim(jobId=${jobId}); nothing was sent`,
    );
  });
});

describe("tributary job cancel and list", () => {
  it("refuses an accepted job with the contract's decoded error, then refunds it once stale; model and watch refuse it", async () => {
    as(researcher);
    const created = jsonLine((await create("--reward", "30", "--json")).stdout);
    const id = created.jobId as string;
    // The coordinator accepts what it adopts (its acceptJob intent), after which only a stale job can be cancelled.
    for (let tries = 0; !(await onChain(id)).accepted; tries++) {
      if (tries > 200) throw new Error("the coordinator never accepted the job");
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const early = await tributary("job", "cancel", id, ...flags());
    expect(early.code).toBe(1);
    expect(early.stderr).toMatch(
      new RegExp(
        `TrainingJobs\\.cancelJob would revert with TrainingJobsNotCancellable\\(jobId=${id}, staleAt=\\d+ \\(\\d{4}-[^)]+\\)\\); nothing was sent\\. Job ${id} is accepted`,
      ),
    );
    expect(early.stderr).toContain(
      "accepted by its coordinator, so it can be cancelled only once it has gone 1209600 s (14 days) without activity",
    );

    const unfinished = await tributary("job", "model", id, ...flags(), "--out", path.join(world.dir, "none"));
    expect(unfinished.code).toBe(1);
    expect(unfinished.stderr).toBe(`tributary: job ${id} is running: its final model exists once it completes\n`);

    as(await world.researcher(0n));
    const other = await tributary("job", "cancel", id, ...flags());
    expect(other.code).toBe(1);
    expect(other.stderr).toContain(`job ${id} was created by ${researcher.address.toLowerCase()}`);

    await world.chain.rpc("evm_increaseTime", [14 * 86_400 + 1]);
    await world.chain.rpc("evm_mine");
    as(researcher);
    const before = await balance(researcher);
    const cancelled = await tributary("job", "cancel", id, ...flags(), "--json");
    expect(cancelled.code).toBe(0);
    expect(jsonLine(cancelled.stdout)).toMatchObject({ ok: true, amount: String(parseEther("30")) });
    expect((await balance(researcher)) - before).toBe(parseEther("30"));
    const twice = await tributary("job", "cancel", id, ...flags());
    expect(twice.code).toBe(1);
    expect(twice.stderr).toContain(`job ${id} is Cancelled: its escrow was refunded already`);

    const watched = await tributary("job", "watch", id, ...flags(), "--poll", "0.1", "--json");
    expect(watched.code).toBe(1);
    expect(watched.stderr).toMatch(new RegExp(`^tributary: job ${id} cancelled: `));
    expect(jsonLine(watched.stdout)).toMatchObject({
      ok: false,
      error: { code: "JOB_CANCELLED", details: { status: "cancelled" } },
    });
  });

  it("lists the key's jobs, anyone's with --researcher or --all, and refuses without a researcher", async () => {
    as(researcher);
    const mine = await tributary("job", "list", ...flags(), "--json");
    expect(mine.code).toBe(0);
    const listed = jsonLine(mine.stdout) as { jobs: { jobId: string; researcher: string; status: string }[] };
    const jobCount = Number(await world.chain.system.contracts.jobs.jobCount());
    const ids = [];
    for (let id = 1; id <= jobCount; id++)
      if ((await onChain(String(id))).researcher === researcher.address) ids.push(String(id));
    expect(listed.jobs.map((job) => job.jobId)).toEqual(ids);
    expect(listed.jobs.find((job) => job.jobId === jobId)).toMatchObject({
      status: "Finalized",
      coordinatorStatus: "completed",
    });
    const all = await tributary("job", "list", ...flags(), "--all", "--json");
    expect((jsonLine(all.stdout) as { jobs: unknown[] }).jobs).toHaveLength(jobCount);
    vi.unstubAllEnvs();
    const nobody = await tributary("job", "list", ...flags());
    expect(nobody.code).toBe(1);
    expect(nobody.stderr).toContain("give --researcher ADDRESS");
    const human = await tributary("job", "list", ...flags(), "--researcher", researcher.address);
    expect(human.stdout).toMatch(new RegExp(`^ {2}${jobId} +Finalized +2/2 +`, "m"));
  });
});
