import { createHash, randomBytes } from "node:crypto";
import { LocalChain } from "@tributary/contracts/local-chain";
import { initTrainingBackend } from "@tributary/model-runtime";
import { canonicalJobSpecBytes, type JobSpec, SOCKET_EVENTS } from "@tributary/protocol";
import { parseEther } from "ethers";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { fixtureSpec, type OwnerFixture, ownerAgainstLyingCoordinator } from "../../test-support/owner-fixture.js";
import { ChainJobAdmission } from "./job-admission.js";

// Item 8, the owner's side: the agent reads each job's terms from the chain itself and joins only those that pay
// in a token the owner accepts and escrow at least the dataset's price per round × rounds. A coordinator that
// offers (or instructs) any other job is refused before a record is read.

const PRICE = parseEther("5");
const DP = { mode: "dp-sgd", l2NormClip: 1, noiseMultiplier: 1, targetEpsilon: 5, delta: 1e-5 } as const;
let chain: LocalChain;
let datasetId: string;
let owner: OwnerFixture | undefined;

beforeAll(async () => {
  await initTrainingBackend({ log: () => {} });
  chain = await LocalChain.start();
  datasetId = String(await chain.registerDataset(chain.deployer, "ipfs://owner", { pricePerRound: PRICE }));
}, 120_000);
afterAll(async () => {
  await chain?.stop();
});
afterEach(async () => {
  await owner?.stop();
  owner = undefined;
});

async function ownerOnChain(verifyingContract?: string): Promise<OwnerFixture> {
  const { contracts } = chain.system.deployment;
  return ownerAgainstLyingCoordinator({
    datasetId,
    chainId: chain.chainId,
    verifyingContract: verifyingContract ?? contracts.TrainingJobs,
    allowNonPrivate: true,
    admission: new ChainJobAdmission({
      runner: chain.provider(),
      chainId: chain.chainId,
      trainingJobs: contracts.TrainingJobs,
      datasetRegistry: contracts.DatasetRegistry,
      datasetId,
      allowedTokens: [contracts.TributaryToken],
    }),
  });
}

/** The `modelSpecHash` a researcher commits to for `spec`: the SHA-256 of its canonical bytes. */
function specHash(spec: JobSpec): string {
  return `0x${createHash("sha256").update(canonicalJobSpecBytes(spec)).digest("hex")}`;
}

/** A job on TrainingJobs for the owner's dataset committing to `spec`, escrowing 3 rounds at the dataset's price. */
function coveredJob(spec: JobSpec): Promise<bigint> {
  return chain.createJob({
    coordinator: chain.accounts[1]?.address as string,
    rounds: spec.rounds,
    modelSpecHash: specHash(spec),
    datasetIds: [BigInt(datasetId)],
    reward: PRICE * 3n,
  });
}

/** Sends round 0's instruction of job `jobId` with `spec`'s hyper-parameters; resolves with the agent's answer. */
function instruct(fixture: OwnerFixture, jobId: string, spec: JobSpec) {
  const answer = fixture.coordinator.next([SOCKET_EVENTS.update, SOCKET_EVENTS.refusal]);
  const { localEpochs, batchSize, learningRate, proximalMu, dp } = spec;
  fixture.coordinator.send(SOCKET_EVENTS.instruction, {
    jobId,
    round: 0,
    ...fixture.coordinator.addModel(new Float32Array(15)),
    hyperParams: { localEpochs, batchSize, learningRate, proximalMu, dp },
    deadline: Date.now() + 60_000,
    nonce: `0x${randomBytes(32).toString("hex")}`,
  });
  return answer;
}

/** Offers job `jobId` (`job:opened`) with `spec`, then instructs it anyway; returns what the agent answered. */
async function offerAndInstruct(
  fixture: OwnerFixture,
  jobId: string,
  spec = fixtureSpec({ datasetIds: [datasetId], rounds: 3 }),
) {
  fixture.coordinator.jobs.set(jobId, spec);
  const refusedJob = new Promise<unknown>((resolve) => {
    const timer = setInterval(() => {
      const event = fixture.events.find((e) => e.type === "job-refused" && e.jobId === jobId);
      if (event !== undefined) {
        clearInterval(timer);
        resolve(event);
      }
    }, 20);
  });
  fixture.coordinator.send(SOCKET_EVENTS.jobOpened, { jobId });
  const joined = await refusedJob;
  const answer = instruct(fixture, jobId, spec);
  return { joined, answer: await answer };
}

describe("item 8: the agent joins only jobs on the owner's terms, read from the chain", () => {
  it("refuses a job paid in a self-minted token: not joined, its instruction refused, no record read", async () => {
    const fake = await chain.ethers.deployContract("MockERC20", ["Fake", "FAKE", 18], chain.deployer);
    await (await fake.getFunction("mint")(chain.deployer.address, parseEther("1000"))).wait();
    const jobId = await chain.createJob({
      coordinator: chain.accounts[1]?.address as string,
      rounds: 3,
      datasetIds: [BigInt(datasetId)],
      reward: parseEther("1000"),
      paymentToken: await fake.getAddress(),
    });
    owner = await ownerOnChain();
    const { joined, answer } = await offerAndInstruct(owner, String(jobId));
    expect((joined as { message: string }).message).toMatch(
      /pays in token 0x[0-9a-f]{40}, which is not on the owner's allowlist/,
    );
    expect(owner.coordinator.received.some((m) => m.event === SOCKET_EVENTS.join)).toBe(false);
    expect(answer.event).toBe(SOCKET_EVENTS.refusal);
    expect(answer.args[0]).toMatchObject({ jobId: String(jobId), code: "JOB_REFUSED" });
    expect(owner.trainReads()).toBe(0);
    expect(owner.evalReads()).toBe(0);
  });

  it("refuses a job whose escrow is under the dataset's price × rounds (10 < 5 × 3 TRIB)", async () => {
    const jobId = await chain.createJob({
      coordinator: chain.accounts[1]?.address as string,
      rounds: 3,
      datasetIds: [BigInt(datasetId)],
      reward: parseEther("10"),
    });
    owner = await ownerOnChain();
    const { joined, answer } = await offerAndInstruct(owner, String(jobId));
    expect((joined as { message: string }).message).toMatch(
      new RegExp(
        `escrow ${parseEther("10")} is below dataset ${datasetId}'s price ${PRICE} per round × 3 rounds = ${PRICE * 3n}`,
      ),
    );
    expect(owner.coordinator.received.some((m) => m.event === SOCKET_EVENTS.join)).toBe(false);
    expect(answer.args[0]).toMatchObject({ code: "JOB_REFUSED" });
    expect(owner.trainReads()).toBe(0);
  });

  it("joins and trains a job paid in TRIB that covers the price (15 TRIB for 3 rounds at 5)", async () => {
    const spec = fixtureSpec({ datasetIds: [datasetId], rounds: 3 });
    const jobId = await coveredJob(spec);
    owner = await ownerOnChain();
    owner.coordinator.jobs.set(String(jobId), spec);
    const join = owner.coordinator.next([SOCKET_EVENTS.join]);
    owner.coordinator.send(SOCKET_EVENTS.jobOpened, { jobId: String(jobId) });
    expect((await join).args[0]).toEqual({ jobId: String(jobId) });
    const answer = instruct(owner, String(jobId), spec);
    expect((await answer).event).toBe(SOCKET_EVENTS.update);
    expect(owner.trainReads()).toBeGreaterThan(0);
  });

  it("refuses a job whose spec is not the one committed on chain (batch size 8 served as 64): not joined, nothing read or spent", async () => {
    const committed = fixtureSpec({ datasetIds: [datasetId], rounds: 3, batchSize: 8, dp: DP });
    const jobId = await coveredJob(committed);
    owner = await ownerOnChain();
    // The coordinator serves, and instructs with, another batch size than the researcher committed to.
    const served = { ...committed, batchSize: 64 };
    const { joined, answer } = await offerAndInstruct(owner, String(jobId), served);
    const expected = new RegExp(
      `job ${jobId} refused: the coordinator's job spec is not the one committed on chain: it hashes to ${specHash(served)}, TrainingJobs 0x[0-9a-fA-F]{40} commits to modelSpecHash ${specHash(committed)}`,
    );
    expect(joined).toMatchObject({ type: "job-refused", code: "JOB_SPEC_MISMATCH" });
    expect((joined as { message: string }).message).toMatch(expected);
    expect(owner.coordinator.received.some((m) => m.event === SOCKET_EVENTS.join)).toBe(false);
    expect(answer.event).toBe(SOCKET_EVENTS.refusal);
    expect(answer.args[0]).toMatchObject({ jobId: String(jobId), code: "JOB_SPEC_MISMATCH" });
    expect((answer.args[0] as { message: string }).message).toMatch(expected);
    expect(owner.trainReads()).toBe(0);
    expect(owner.evalReads()).toBe(0);
    expect(owner.privacy.spent().epsilon).toBe(0);
  });

  it("does not log in to a coordinator whose EIP-712 domain names another contract than the owner's TrainingJobs", async () => {
    await expect(ownerOnChain(`0x${"99".repeat(20)}`)).rejects.toMatchObject({ code: "CHAIN_MISMATCH" });
  });
});
