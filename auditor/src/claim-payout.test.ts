import { LocalChain } from "@tributary/contracts/local-chain";
import { connectTrainingJobs } from "@tributary/contracts/typed";
import type { Address, PayoutProof } from "@tributary/protocol";
import type { JsonRpcProvider } from "ethers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LedgerServer, type PlayedJob, playJob, startLedgerServer } from "../test-support/ledger-job.js";
import { claimPayout } from "./claim-payout.js";
import { ClaimRefusedError } from "./ledger-errors.js";
import { trainingJobsErrorName } from "./training-jobs-reader.js";

let chain: LocalChain;
let provider: JsonRpcProvider;
let server: LedgerServer;
let job: PlayedJob;
let trainingJobs: string;

beforeAll(async () => {
  chain = await LocalChain.start();
  provider = chain.provider();
  server = await startLedgerServer();
  trainingJobs = chain.system.deployment.contracts.TrainingJobs;
  job = await playJob(chain, { rounds: 2, trainers: 3, scoring: "leave-one-out", reward: 777n * 10n ** 18n + 12_345n });
  server.serve(job);
});

afterAll(async () => {
  await server?.close();
  provider?.destroy();
  await chain?.stop();
});

function claim(played: PlayedJob, trainer: number) {
  const wallet = played.trainers[trainer];
  if (wallet === undefined) throw new Error(`no trainer ${trainer}`);
  return claimPayout({
    coordinatorUrl: server.url,
    jobId: played.jobId,
    signer: wallet.connect(provider),
    trainingJobs,
  });
}

async function refusal(promise: Promise<unknown>): Promise<ClaimRefusedError> {
  const error = await promise.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(ClaimRefusedError);
  return error as ClaimRefusedError;
}

describe("claimPayout", () => {
  it("refuses a proof that does not verify against the chain's payout root, without sending anything", async () => {
    const trainer = job.trainers[0]?.address.toLowerCase() as Address;
    const honest = job.proofs.get(trainer) as PayoutProof;
    const inflated = { ...honest, amount: String(BigInt(honest.amount) + 1n) };
    server.state.proofs.get(String(job.jobId))?.set(trainer, inflated);
    const before = await provider.getTransactionCount(trainer);
    const error = await refusal(claim(job, 0));
    expect(error.reason).toBe("invalid-proof");
    expect(error.message).toContain("does not verify against job");
    expect(await provider.getTransactionCount(trainer)).toBe(before);
    server.state.proofs.get(String(job.jobId))?.set(trainer, honest);
  });

  it("pays each contributor once; a second claim is refused; escrow − fee == Σ claims + refund to the wei", async () => {
    const jobs = connectTrainingJobs(trainingJobs, provider);
    let claimed = 0n;
    for (let i = 0; i < job.trainers.length; i++) {
      const address = job.trainers[i]?.address as string;
      const before = await chain.tokenBalance(address);
      const { amount, txHash } = await claim(job, i);
      const received = (await chain.tokenBalance(address)) - before;
      expect(received).toBe(amount);
      expect(amount).toBe(job.plan.leaves.find((leaf) => leaf.trainer === address.toLowerCase())?.amount);
      expect((await provider.getTransactionReceipt(txHash))?.status).toBe(1);
      expect(await jobs.isClaimed(job.jobId, address)).toBe(true);
      claimed += received;

      const again = await refusal(claim(job, i));
      expect(again.reason).toBe("already-claimed");
      expect(again.message).toMatch(/has already claimed its payout from job/);
      expect(await chain.tokenBalance(address)).toBe(before + amount);
      // The contract itself refuses too, and its custom error is what a refused send is reported with.
      const proof = job.proofs.get(address.toLowerCase() as Address) as PayoutProof;
      const revert = await jobs.claim.staticCall(job.jobId, address, amount, proof.proof, { from: address }).then(
        () => undefined,
        (thrown: unknown) => thrown,
      );
      expect(trainingJobsErrorName(revert)).toBe("TrainingJobsAlreadyClaimed");
    }
    const researcher = chain.deployer.address;
    const before = await chain.tokenBalance(researcher);
    const reclaim = await jobs.connect(chain.deployer).reclaim(job.jobId);
    await reclaim.wait();
    const refund = (await chain.tokenBalance(researcher)) - before;
    // The fee TrainingJobs takes on the payout total (closed form: ⌊total · 250 / 10 000⌋ at the default 2.5 %).
    const fee = (job.plan.payoutTotal * 250n) / 10_000n;
    expect(job.escrow - fee).toBe(claimed + refund);
    expect(claimed).toBe(job.plan.payoutTotal);
  });

  it("refuses an address with no payout, naming the job and the address", async () => {
    const stranger = await chain.fundedWallet();
    const error = await refusal(
      claimPayout({ coordinatorUrl: server.url, jobId: job.jobId, signer: stranger.connect(provider), trainingJobs }),
    );
    expect(error.reason).toBe("no-payout");
    expect(error.message).toContain(stranger.address.toLowerCase());
  });

  it("refuses a job that is not finalised, and an unknown job", async () => {
    const running = await playJob(chain, { rounds: 2, trainers: 2, scoring: "examples", finalize: false });
    server.serve(running);
    const error = await refusal(claim(running, 0));
    expect(error.reason).toBe("not-finalized");
    expect(error.message).toMatch(/is not finalised yet \(it is Running, 2\/2 rounds anchored\)/);
    const unknown = await refusal(
      claimPayout({
        coordinatorUrl: server.url,
        jobId: 999n,
        signer: running.trainers[0]?.connect(provider) as never,
        trainingJobs,
      }),
    );
    expect(unknown.reason).toBe("unknown-job");
  });

  it("refuses once the claim period is over", async () => {
    const late = await playJob(chain, { rounds: 1, trainers: 2, scoring: "leave-one-out" });
    server.serve(late);
    // TrainingJobs' default claim period is 30 days.
    await chain.rpc("evm_increaseTime", [31 * 24 * 60 * 60]);
    await chain.rpc("evm_mine", []);
    const error = await refusal(claim(late, 0));
    expect(error.reason).toBe("claim-period-over");
    expect(error.message).toMatch(/the claim period of job \d+ ended at \d{4}-\d\d-\d\dT/);
  });
});
