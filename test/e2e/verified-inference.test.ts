import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import {
  connectModelRegistry,
  connectOptimisticVerifier,
  connectStaking,
  connectTributaryToken,
} from "@tributary/contracts/typed";
import { hexlify, randomBytes } from "ethers";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { jsonLine, tributary } from "../../cli/test-support/run-tributary.js";
import { until } from "../../cli/test-support/served-model-world.js";
import {
  inputFile,
  type RunningProvider,
  recordsInChunks,
  serveBuyerRequests,
  serveWithTasks,
  startVerificationWorld,
  type VerificationWorld,
} from "../../cli/test-support/verification-world.js";
import { referenceInference } from "../../deterministic-inference/test-support/bigint-reference.js";
import { WORLD_SPEC } from "../../inference-provider/test-support/provider-world.js";

// Verified inference end to end on the local chain, every party a real component: a buyer's verifiable requests
// through a router become OptimisticVerifier tasks; the provider (`provider serve --submit-results`) submits their
// response hashes; an honest challenger re-executes them and disputes nothing; a provider that lies on one task
// (the code-only test hook) is disputed, the committee votes, the challenger wins, the provider is slashed and its
// reputation drops; the buyer finalises the undisputed tasks after the window. The hashes are checked against the
// BigInt reference implementation of deterministic inference, written apart from the package.

const PRICE = 1_000n;
const DAY = 86_400;
const EXAMPLE = [
  [0.5, -1.25, 2],
  [0.75, 0.2, -0.3],
];

let world: VerificationWorld;
let dir: string;
let input: string;
let provider: RunningProvider | undefined;
const reference = () => referenceInference(WORLD_SPEC, world.model.weights, Float32Array.from(EXAMPLE.flat()));

beforeAll(async () => {
  world = await startVerificationWorld(23, PRICE);
  dir = await mkdtemp(path.join(tmpdir(), "tributary-verified-"));
  input = await inputFile(dir, [EXAMPLE]);
  await world.openChannel(1_000_000n);
});

afterAll(async () => {
  await provider?.stop();
  vi.unstubAllEnvs();
  await world?.stop();
  await rm(dir, { recursive: true, force: true });
});

const contracts = () => world.chain.system.deployment.contracts;
const verifier = () => connectOptimisticVerifier(contracts().OptimisticVerifier, world.rpc);
const registry = () => connectModelRegistry(contracts().ModelRegistry, world.rpc);
const modelId = () => String(world.model.modelId);

/** `tributary …` as `role` (its key in the role's environment variable), with the world's chain flags and --json. */
function as(role: "BUYER" | "CHALLENGER" | "COMMITTEE", key: string, ...args: string[]) {
  vi.stubEnv(`TRIBUTARY_${role}_KEY`, key);
  return tributary(...args, ...world.chainFlags, "--json");
}

const predict = (repeat: number) =>
  as(
    "BUYER",
    world.buyer.privateKey,
    ...["model", "predict", modelId(), "--router", world.router.url, "--input", input],
    ...["--task", "--repeat", String(repeat), "--state-dir", dir],
  );
const challenge = (requests: string[], approve = true) =>
  as(
    "CHALLENGER",
    world.challenger.privateKey,
    ...["challenger", "--model", modelId(), "--model-dir", world.modelDir, ...(approve ? ["--bond-approve"] : [])],
    ...requests.flatMap((url) => ["--requests", url]),
  );
const vote = (key: string, ...extra: string[]) =>
  as(
    "COMMITTEE",
    key,
    ...["committee", "vote", "--model", modelId(), "--model-dir", world.modelDir, "--requests", provider?.url ?? ""],
    ...extra,
  );
const finalize = () => as("BUYER", world.buyer.privateKey, "model", "tasks", "--state-dir", dir, "--finalize");

async function submitted(taskIds: bigint[]): Promise<void> {
  await until(async () => {
    for (const id of taskIds) if ((await verifier().getTask(id)).status !== 2n) return false;
    return true;
  });
}

describe("verified inference on the local chain", () => {
  it("honest tasks: submitted, re-executed without a dispute, finalised after the window", async () => {
    provider = await serveWithTasks(world, { testOnlyFalsifyResult: (taskId) => taskId === 7n });
    const expected = reference();

    const bought = await predict(4);
    expect(bought.stderr).toBe("");
    expect(bought.code).toBe(0);
    const line = jsonLine(bought.stdout) as {
      predictions: { verified: { requestHash: string; responseHash: string }; task: { taskId: string } }[];
    };
    expect(line.predictions.map((p) => p.task)).toEqual([1, 2, 3, 4].map((id) => ({ taskId: String(id) })));
    for (const p of line.predictions) {
      expect(p.verified).toEqual({ requestHash: expected.requestHash, responseHash: expected.responseHash });
    }

    // A task whose input this provider never answered: it does not submit, and says why.
    const stranger = connectOptimisticVerifier(contracts().OptimisticVerifier, world.buyer.connect(world.rpc));
    const token = connectTributaryToken(contracts().TributaryToken, world.buyer.connect(world.rpc));
    await (await token.approve(contracts().OptimisticVerifier, PRICE)).wait();
    await (
      await stranger.createTask(world.model.modelId, hexlify(randomBytes(32)), contracts().TributaryToken, PRICE)
    ).wait();

    await submitted([1n, 2n, 3n, 4n]);
    for (const id of [1n, 2n, 3n, 4n]) {
      const task = await verifier().getTask(id);
      expect([task.inputHash, task.responseHash]).toEqual([expected.requestHash, expected.responseHash]);
    }

    // The challenger fetches the requests from the buyer's store (the provider is tried after it).
    const store = await serveBuyerRequests(path.join(dir, "requests"));
    const honest = await challenge([store.url, provider.url]);
    await store.close();
    expect(honest.stderr).toBe("");
    expect(honest.code).toBe(0);
    const checks = jsonLine(honest.stdout) as { tasks: { from: string }[] };
    expect(checks).toMatchObject({ checked: 4, agreed: 4, disputed: 0, refused: 0 });
    expect(new Set(checks.tasks.map((t) => t.from))).toEqual(new Set([store.url]));

    await world.advance(DAY + 1);
    const settled = await finalize();
    expect(settled.code).toBe(0);
    for (const id of [1n, 2n, 3n, 4n]) expect((await verifier().getTask(id)).outcome).toBe(1n); // Accepted
    expect((await verifier().getTask(5n)).status).toBe(1n); // still Requested: never answered
    expect((await registry().getModel(world.model.modelId)).reputationScore).toBe(4n);
    expect(await verifier().owed(world.providerWallet.address, contracts().TributaryToken)).toBe(4n * PRICE);
  });

  it("a lie is disputed, voted down by the committee (not by the requester), slashed, and costs reputation", async () => {
    const expected = reference();
    const staking = connectStaking(contracts().Staking, world.rpc);
    const stakeBefore = await staking.stakeOf(world.providerWallet.address);
    const bought = await predict(2);
    expect(bought.code).toBe(0);
    await submitted([6n, 7n]);
    const lie = await verifier().getTask(7n);
    expect(lie.responseHash).not.toBe(expected.responseHash);

    const token = connectTributaryToken(contracts().TributaryToken, world.rpc);
    const challengerBefore = await token.balanceOf(world.challenger.address);
    // Without --bond-approve (and no allowance) the dispute is refused before anything is sent: a finding.
    const unapproved = await challenge([provider?.url ?? ""], false);
    expect(unapproved.code).toBe(1);
    const refusal = jsonLine(unapproved.stdout) as { ok: boolean; disputed: number; tasks: Record<string, unknown>[] };
    expect([refusal.ok, refusal.disputed]).toEqual([false, 0]);
    expect(refusal.tasks.find((t) => t.action === "refused")).toMatchObject({
      taskId: "7",
      error: { code: "INSUFFICIENT_ALLOWANCE" },
    });
    expect((await verifier().getTask(7n)).status).toBe(2n);
    const checked = await challenge([provider?.url ?? ""]);
    expect(checked.code).toBe(0);
    const report = jsonLine(checked.stdout) as { disputed: number; tasks: { taskId: string; action: string }[] };
    expect(report.disputed).toBe(1);
    expect(report.tasks.filter((t) => t.action === "disputed").map((t) => t.taskId)).toEqual(["7"]);
    const disputed = await verifier().getTask(7n);
    expect([disputed.status, disputed.alternativeResponseHash]).toEqual([3n, expected.responseHash]);

    // The buyer is on the committee, but it requested the task: the contract refuses its vote.
    const refused = await vote(world.buyer.privateKey, "--task", "7");
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/OptimisticVerifierConflictedMember\(taskId=7, member=0x[0-9a-fA-F]{40}\)/);
    expect(jsonLine(refused.stdout)).toMatchObject({
      ok: false,
      error: { code: "REVERTED", details: { error: "OptimisticVerifierConflictedMember" } },
    });

    const [first, second] = world.members;
    for (const member of [first, second]) {
      const voted = await vote(member.privateKey);
      expect(voted.code).toBe(0);
      expect(jsonLine(voted.stdout)).toMatchObject({ voted: 1, refused: 0 });
    }
    const settled = await verifier().getTask(7n);
    expect([settled.status, settled.outcome]).toEqual([4n, 3n]); // Finalized, ChallengerWon
    const { providerSlashAmount, challengerBond } = await verifier().parameters();
    expect(stakeBefore - (await staking.stakeOf(world.providerWallet.address))).toBe(providerSlashAmount);
    expect((await registry().getModel(world.model.modelId)).reputationScore).toBe(0n); // 4 − 10, floored
    // The challenger: bond posted, half the slash paid at once (winnerShareBps 5,000), the bond credited back.
    const winnerShare = (providerSlashAmount * (await staking.winnerShareBps())) / 10_000n;
    expect((await token.balanceOf(world.challenger.address)) - challengerBefore).toBe(winnerShare - challengerBond);
    expect(await verifier().owed(world.challenger.address, contracts().TributaryToken)).toBe(challengerBond);

    // After the window the buyer finalises the honest task 6 and takes back task 7's payment.
    const buyerBefore = await token.balanceOf(world.buyer.address);
    await world.advance(DAY + 1);
    const finalized = await finalize();
    expect(finalized.code).toBe(0);
    expect((await verifier().getTask(6n)).outcome).toBe(1n);
    expect((await token.balanceOf(world.buyer.address)) - buyerBefore).toBe(PRICE);
    const book = jsonLine(finalized.stdout) as { tasks: { taskId: string; ended?: string }[] };
    expect(book.tasks.map((t) => [t.taskId, t.ended])).toEqual([
      ["1", "Accepted"],
      ["2", "Accepted"],
      ["3", "Accepted"],
      ["4", "Accepted"],
      ["6", "Accepted"],
      ["7", "ChallengerWon"],
    ]);

    const served = await provider?.stop();
    provider = undefined;
    expect(served?.code).toBe(0);
    const tasks = (jsonLine(served?.stdout ?? "") as { tasks: { taskId: string; outcome: string; reason?: string }[] })
      .tasks;
    expect(tasks.map((t) => [t.taskId, t.outcome])).toEqual([
      ["1", "submitted"],
      ["2", "submitted"],
      ["3", "submitted"],
      ["4", "submitted"],
      ["5", "unknown-input"],
      ["6", "submitted"],
      ["7", "submitted"],
    ]);
    expect(tasks[4]?.reason).toMatch(/answered no verifiable request with this hash/);
  });

  it("model show and model list give the provider's tasks, disputes and slashes from the chain's events, in chunks", async () => {
    // What the two cases above did: 7 tasks (5 never answered), 5 accepted, 1 disputed and lost, 1 slash.
    const { providerSlashAmount } = await verifier().parameters();
    const expected = {
      modelId: modelId(),
      tasks: 7,
      accepted: 5,
      disputes: 1,
      disputesWon: 0,
      disputesLost: 1,
      disputesVoid: 0,
      disputesOpen: 0,
      resolvedByProof: 0,
      slashes: 1,
      slashed: String(providerSlashAmount),
      recorded: { correct: 5, wrong: 1 },
    };
    const shown = await tributary("model", "show", modelId(), ...world.chainFlags, "--json");
    expect(shown.code).toBe(0);
    expect((jsonLine(shown.stdout) as { model: { verification: unknown } }).model.verification).toEqual(expected);
    const human = await tributary("model", "show", modelId(), ...world.chainFlags);
    expect(human.stdout).toMatch(
      /7 tasks \(5 accepted undisputed\); disputes 1: 0 won, 1 lost; slashed 1× for 500 TRIB/,
    );
    const listed = await tributary("model", "list", "--all", ...world.chainFlags, "--json");
    const rows = (jsonLine(listed.stdout) as { models: { modelId: string; verification: unknown }[] }).models;
    expect(rows.find((row) => row.modelId === modelId())?.verification).toEqual(expected);
    // Read two blocks at a time (as against an RPC that refuses wide log queries), the record is the same.
    const chunked = await recordsInChunks(world, 2);
    const record = chunked.get(modelId());
    expect({ ...record, slashed: String(record?.slashed) }).toEqual(expected);
  });
});
