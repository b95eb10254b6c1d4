import { claimPayout } from "@tributary/auditor";
import { LocalChain } from "@tributary/contracts/local-chain";
import { connectDatasetRegistry, connectTrainingJobs } from "@tributary/contracts/typed";
import type { Address } from "@tributary/protocol";
import type { JsonRpcProvider, Wallet } from "ethers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type LedgerServer,
  type PlayedJob,
  playJob,
  startLedgerServer,
} from "../../../auditor/test-support/ledger-job.js";
import { claimJobs, finalisedJobsOf } from "./claim-all.js";

let chain: LocalChain;
let server: LedgerServer;
let provider: JsonRpcProvider;
let owner: Wallet;
/** Jobs the owner trained in: claimed before, to claim now, with a forged proof, with no payout; not finalised. */
let jobs: Record<"preClaimed" | "open" | "forged" | "unpaid" | "running" | "others", PlayedJob>;

const ownerAddress = () => owner.address.toLowerCase() as Address;

beforeAll(async () => {
  chain = await LocalChain.start();
  server = await startLedgerServer();
  provider = chain.provider();
  owner = await chain.fundedWallet();
  const play = (finalize = true, owners: Wallet[] = [owner]) =>
    playJob(chain, { rounds: 1, trainers: 2, scoring: "examples", owners, finalize });
  jobs = {
    preClaimed: await play(),
    open: await play(),
    forged: await play(),
    unpaid: await play(),
    running: await play(false),
    others: await play(true, []),
  };
  for (const job of Object.values(jobs)) server.serve(job);
  // A dishonest coordinator's proof for the owner: twice the amount the chain's payout root commits to.
  const forged = server.state.proofs.get(String(jobs.forged.jobId))?.get(ownerAddress()) as { amount: string };
  forged.amount = String(BigInt(forged.amount) * 2n);
  // A coordinator with no payout for the owner in this job.
  server.state.proofs.get(String(jobs.unpaid.jobId))?.delete(ownerAddress());
  await claimPayout({
    coordinatorUrl: server.url,
    jobId: jobs.preClaimed.jobId,
    signer: owner.connect(provider),
    trainingJobs: chain.system.deployment.contracts.TrainingJobs,
  });
});

afterAll(async () => {
  provider?.destroy();
  await server?.close();
  await chain?.stop();
});

describe("claim --all", () => {
  it("finds the finalised jobs that trained on the owner's datasets, from the chain's events", async () => {
    const { contracts, startBlock } = chain.system.deployment;
    const found = await finalisedJobsOf({
      registry: connectDatasetRegistry(contracts.DatasetRegistry, provider),
      jobs: connectTrainingJobs(contracts.TrainingJobs, provider),
      owner: owner.address,
      fromBlock: startBlock,
    });
    const { preClaimed, open, forged, unpaid } = jobs;
    expect(found).toEqual([preClaimed, open, forged, unpaid].map((job) => String(job.jobId)));
  });

  it("claims each one, skipping what was claimed or is not owed, and refusing a proof the chain does not back", async () => {
    const ids = [jobs.preClaimed, jobs.open, jobs.forged, jobs.unpaid].map((job) => String(job.jobId));
    const before = await chain.tokenBalance(owner.address);
    const seen: string[] = [];
    const rows = await claimJobs({
      coordinatorUrl: server.url,
      signer: owner.connect(provider),
      trainingJobs: chain.system.deployment.contracts.TrainingJobs,
      jobIds: ids,
      onRow: (row) => seen.push(row.jobId),
    });
    expect(seen).toEqual(ids);
    expect(rows.map((row) => row.outcome)).toEqual(["already-claimed", "claimed", "invalid-proof", "no-payout"]);
    // The payout computed by the played coordinator (computePayouts), not by the claim code.
    const owed = jobs.open.plan.leaves.find((leaf) => leaf.trainer === ownerAddress())?.amount;
    expect(rows[1]?.amount).toBe(owed);
    expect(rows[1]?.txHash).toMatch(/^0x[0-9a-f]{64}$/);
    expect(await chain.tokenBalance(owner.address)).toBe(before + (owed as bigint));
    expect(rows[2]?.message).toMatch(/does not verify against job \d+'s payout root on chain/);
    expect(rows.filter((row) => row.outcome !== "claimed").every((row) => row.amount === null)).toBe(true);
  });
});
