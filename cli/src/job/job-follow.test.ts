import { readFile } from "node:fs/promises";
import path from "node:path";
import { CoordinatorHttpError } from "@tributary/auditor";
import { bytesToWeights, type JobId, JobSpecUploadSchema, jobSpecHash } from "@tributary/protocol";
import { Wallet } from "ethers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { predictWithSavedModel } from "../../../model-runtime/test-support/file-model-loader.js";
import { ResearcherWorld, TINY_SPEC } from "../../test-support/researcher-world.js";
import { CoordinatorClient } from "./coordinator-client.js";
import { JobViewSchema } from "./coordinator-views.js";
import { downloadJobModel, MODEL_FILES, writeJobModel } from "./job-model.js";
import type { RoundProgress } from "./progress-view.js";
import { UnknownJobError, watchJob } from "./watch-job.js";

let world: ResearcherWorld;
let jobId: JobId;
let modelSpecHash: string;
const ROUNDS = 2;

/** The job's researcher: the local chain's deployer creates it (`LocalChain.createJob` escrows from its supply). */
const asResearcher = () => CoordinatorClient.signIn(world.coordinator.url, world.chain.deployer, world.chain.chainId);

const createJob = async () =>
  String(
    await world.chain.createJob({
      coordinator: world.sender.address,
      rounds: ROUNDS,
      modelSpecHash,
      datasetIds: world.datasets.map(BigInt),
    }),
  ) as JobId;

beforeAll(async () => {
  world = await ResearcherWorld.start();
  const spec = { ...TINY_SPEC, datasetIds: world.datasets, rounds: ROUNDS };
  ({ modelSpecHash } = await (await asResearcher()).postJson("/chain/job-specs", spec, JobSpecUploadSchema, "spec"));
  expect(modelSpecHash).toBe(jobSpecHash(spec));
  jobId = await createJob();
});

afterAll(async () => {
  await world?.close();
});

const watched = () => ({ provider: world.chain.provider(), trainingJobs: world.trainingJobs });

describe("watchJob", () => {
  it("follows every round, notes each anchor read from TrainingJobs, and ends once the job is finalised on chain", async () => {
    const finished: RoundProgress[] = [];
    const notes: string[] = [];
    const sink = {
      update: (progress: RoundProgress) => {
        if (progress.finished && !finished.some((seen) => seen.round === progress.round)) finished.push(progress);
      },
      note: (text: string) => notes.push(text),
    };
    const coordinator = new CoordinatorClient(world.coordinator.url);
    const [outcome] = await Promise.all([
      watchJob({ coordinator, jobId, sink, chain: watched(), pollMs: 100 }),
      world.train(jobId, ROUNDS),
    ]);
    expect(outcome).toMatchObject({ jobId, status: "completed", reason: null, rounds: ROUNDS, accuracy: 0.5 });
    expect(outcome.chain).toMatchObject({ status: "Finalized", roundsAnchored: ROUNDS });
    expect(finished.map((progress) => [progress.kind, progress.round, progress.done, progress.selected])).toEqual([
      ["train", 0, 3, 3],
      ["train", 1, 3, 3],
      ["evaluate", 2, 3, 3],
    ]);
    expect(notes).toContain(`round 1/${ROUNDS} anchored on TrainingJobs`);
    expect(notes).toContain(`round ${ROUNDS}/${ROUNDS} anchored on TrainingJobs`);
    const onChain = await world.chain.system.contracts.jobs.getJob(BigInt(jobId));
    expect(onChain.status).toBe(3n); // Finalized
  });

  it("refuses a job id neither the chain nor the coordinator knows", async () => {
    const coordinator = new CoordinatorClient(world.coordinator.url);
    const sink = { update: () => {}, note: () => {} };
    await expect(watchJob({ coordinator, jobId: "999" as JobId, sink, chain: watched() })).rejects.toThrow(
      UnknownJobError,
    );
    await expect(watchJob({ coordinator, jobId: "999" as JobId, sink })).rejects.toThrow(
      `no job 999 at the coordinator ${world.coordinator.url}`,
    );
  });
});

describe("downloadJobModel and writeJobModel", () => {
  it("write the final model, checked against the chain's anchor, as a tfjs layers model that predicts x·W + b", async () => {
    const coordinator = await asResearcher();
    const model = await downloadJobModel({ coordinator, jobId, chain: watched() });
    expect(model.checkedAgainst).toEqual(["cid", "chain-spec", "chain-anchor"]);
    const anchor = await world.chain.system.contracts.jobs.getRound(BigInt(jobId), BigInt(ROUNDS));
    expect(model.sha256).toBe(anchor.modelHash);

    const paths = await writeJobModel(model, path.join(world.dir, "model"));
    const flat = bytesToWeights(await readFile(paths.flat));
    expect(flat).toHaveLength(10);
    expect(path.basename(paths.modelJson)).toBe(MODEL_FILES.modelJson);
    const inputs = [
      [1, 0, 0, 0],
      [0.5, -2, 3, 0.25],
    ];
    const got = await predictWithSavedModel(paths.modelJson, inputs, [4]);
    // Dense 4 → 2, linear: kernel [4, 2] row-major, then bias [2].
    for (const [row, x] of inputs.entries()) {
      for (let out = 0; out < 2; out++) {
        const expected = x.reduce(
          (sum, value, i) => sum + value * (flat[i * 2 + out] as number),
          flat[8 + out] as number,
        );
        expect(got[row]?.[out]).toBeCloseTo(expected, 5);
      }
    }
  });

  it("refuses another account (the coordinator's 403), an unknown job (404) and a job not completed", async () => {
    const stranger = await CoordinatorClient.signIn(world.coordinator.url, Wallet.createRandom(), world.chain.chainId);
    const denied = downloadJobModel({ coordinator: stranger, jobId, chain: watched() });
    await expect(denied).rejects.toThrow(CoordinatorHttpError);
    await expect(denied).rejects.toMatchObject({ status: 403 });
    const coordinator = await asResearcher();
    await expect(downloadJobModel({ coordinator, jobId: "999" as JobId })).rejects.toMatchObject({ status: 404 });
    const running = await createJob();
    await coordinator.waitFor(`/jobs/${running}`, JobViewSchema, "adoption", 30_000);
    await expect(downloadJobModel({ coordinator, jobId: running })).rejects.toMatchObject({
      code: "MODEL_NOT_READY",
      message: `job ${running} is running: its final model exists once it completes`,
    });
  });
});
