import type { Address } from "@tributary/protocol";
import type { Wallet } from "ethers";
import { describe, expect, it, vi } from "vitest";
import { playJob } from "../../../auditor/test-support/ledger-job.js";
import { useClaimWorld } from "../../test-support/claim-world.js";
import { jsonLine, tributary } from "../../test-support/run-tributary.js";

const world = useClaimWorld();

const claimAll = (...args: string[]) => tributary("claim", "--all", ...world.flags(), ...args);

/** Two finalised jobs that trained on `owner`'s datasets, served by the coordinator; returns their payouts. */
async function twoJobs(owner: Wallet) {
  const jobs = [];
  for (let i = 0; i < 2; i++) {
    const job = await playJob(world.chain, { rounds: 1, trainers: 2, scoring: "examples", owners: [owner] });
    world.server.serve(job);
    jobs.push(job);
  }
  const address = owner.address.toLowerCase() as Address;
  return jobs.map((job) => ({
    jobId: String(job.jobId),
    amount: job.plan.leaves.find((leaf) => leaf.trainer === address)?.amount as bigint,
  }));
}

describe("tributary claim --all", () => {
  it("claims every finalised job of the owner with a table, then skips them all as claimed", async () => {
    const owner = await world.chain.fundedWallet();
    vi.stubEnv("TRIBUTARY_TRAINER_KEY", owner.privateKey);
    const due = await twoJobs(owner);
    const before = await world.chain.tokenBalance(owner.address);
    const result = await claimAll();
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`2 finalised job(s) trained on datasets of ${owner.address.toLowerCase()}`);
    for (const { jobId, amount } of due) {
      expect(result.stdout).toMatch(new RegExp(`^ {2}${jobId} +claimed +${amount} base units +0x[0-9a-f]{64}$`, "m"));
    }
    const total = due.reduce((sum, { amount }) => sum + amount, 0n);
    expect(await world.chain.tokenBalance(owner.address)).toBe(before + total);
    expect(result.stdout).toContain(`claimed 2 payout(s), ${total} base units in all`);

    const again = await claimAll("--json");
    expect(again.code).toBe(0);
    const line = jsonLine(again.stdout) as { jobs: { jobId: string; outcome: string }[]; claimed: string };
    expect(line.jobs).toEqual(due.map(({ jobId }) => expect.objectContaining({ jobId, outcome: "already-claimed" })));
    expect(line.claimed).toBe("0");
  });

  it("exits 1 naming a job whose proof the chain does not back, after claiming the others", async () => {
    const owner = await world.chain.fundedWallet();
    vi.stubEnv("TRIBUTARY_TRAINER_KEY", owner.privateKey);
    const [forged] = (await twoJobs(owner)) as [{ jobId: string; amount: bigint }, unknown];
    const proof = world.server.state.proofs.get(forged.jobId)?.get(owner.address.toLowerCase()) as { amount: string };
    proof.amount = String(BigInt(proof.amount) + 1n);
    const result = await claimAll("--json");
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(`tributary: 1 of 2 payouts could not be claimed (jobs ${forged.jobId}); 1 claimed\n`);
    const line = jsonLine(result.stdout) as { ok: boolean; error: { details: { jobs: { outcome: string }[] } } };
    expect(line.error.details.jobs.map((row) => row.outcome)).toEqual(["invalid-proof", "claimed"]);
  });

  it("finds nothing for an owner without datasets; refuses without a key, and --all with --job", async () => {
    const keyless = await claimAll();
    expect(keyless.code).toBe(2);
    expect(keyless.stderr).toBe(
      "tributary: give --keystore FILE or set TRIBUTARY_TRAINER_KEY to the trainer's (the dataset owner's) private key\n",
    );
    const stranger = await world.chain.fundedWallet();
    vi.stubEnv("TRIBUTARY_TRAINER_KEY", stranger.privateKey);
    const none = await claimAll("--json");
    expect(none.code).toBe(0);
    expect(jsonLine(none.stdout)).toMatchObject({ ok: true, jobs: [], claimed: "0" });
    const both = await claimAll("--job", "1");
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(
      /^tributary: --all takes DatasetRegistry, TrainingJobs and ModelRegistry from the deployment file/,
    );
    const neither = await tributary("claim", "--rpc", world.chain.url, "--coordinator", world.server.url);
    expect(neither.code).toBe(2);
    expect(neither.stderr).toBe("tributary: give --job ID, or --all for every finalised job\n");
  });
});
