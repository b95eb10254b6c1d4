import { decodeRevert } from "@tributary/contracts/revert-decoder";
import { connectModelRegistry } from "@tributary/contracts/typed";
import { type Address, type Bytes32, type PayoutProof, TributaryError, verifyPayoutProof } from "@tributary/protocol";
import type { ContractTransactionResponse, Provider, Signer } from "ethers";
import { fetchPayoutProof } from "./coordinator-ledger.js";
import { CoordinatorHttpError, RevenueClaimRefusedError } from "./ledger-errors.js";
import { TrainingJobsReader } from "./training-jobs-reader.js";

/**
 * A contributor's share of one model's licence revenue: `pool × payout / payoutTotal` (its leaf in the payout tree
 * of the job the model references, ModelRegistry's rule), what it was paid already and what it may claim now.
 */
export interface ContributorShare {
  readonly modelId: bigint;
  readonly jobId: bigint;
  readonly trainer: Address;
  /** Its amount in the job's payout tree. */
  readonly payout: bigint;
  readonly payoutTotal: bigint;
  /** What the model's licences put in the contributors' pool so far (base units of its payment token). */
  readonly pool: bigint;
  readonly entitled: bigint;
  readonly claimed: bigint;
  /** `entitled − claimed`, never negative. */
  readonly claimable: bigint;
  readonly paymentToken: Address;
  /** The payout leaf's Merkle proof, checked against the job's payout root on chain. */
  readonly proof: readonly Bytes32[];
}

export interface ContributorShareOptions {
  readonly provider: Provider;
  readonly modelRegistry: string;
  readonly trainingJobs: string;
  readonly coordinatorUrl: string;
  readonly modelId: bigint;
  readonly trainer: string;
}

/**
 * Reads `trainer`'s share of model `modelId`'s contributor pool from the chain, with the job's payout proof from the
 * coordinator checked against the payout root on TrainingJobs (so a dishonest coordinator cannot make a claim
 * revert). Refuses (`RevenueClaimRefusedError`) an unknown model, a model of no job, a trainer the job did not pay
 * and a proof the chain does not back.
 */
export async function contributorShare(options: ContributorShareOptions): Promise<ContributorShare> {
  const { provider, modelId } = options;
  const trainer = options.trainer.toLowerCase() as Address;
  const models = connectModelRegistry(options.modelRegistry, provider);
  if (modelId < 1n || modelId > (await models.modelCount())) {
    throw new RevenueClaimRefusedError(
      "unknown-model",
      `ModelRegistry ${options.modelRegistry} knows no model ${modelId}`,
    );
  }
  const model = await models.getModel(modelId);
  if (model.jobId === 0n) {
    throw new RevenueClaimRefusedError("no-job", `model ${modelId} references no training job: it has no contributors`);
  }
  const reader = await TrainingJobsReader.at(provider, options.trainingJobs);
  const job = await reader.job(model.jobId);
  if (job === undefined) {
    throw new RevenueClaimRefusedError("no-job", `TrainingJobs ${reader.address} knows no job ${model.jobId}`);
  }
  let proof: PayoutProof;
  try {
    proof = await fetchPayoutProof(options.coordinatorUrl, model.jobId, trainer);
  } catch (error) {
    if (!(error instanceof CoordinatorHttpError && error.status === 404)) throw error;
    throw new RevenueClaimRefusedError(
      "no-payout",
      `job ${model.jobId} paid nothing to ${trainer}, so it has no share of model ${modelId}'s revenue (the coordinator says: ${error.message})`,
      {},
      error,
    );
  }
  const payout = BigInt(proof.amount);
  if (!(payout > 0n && verifyPayoutProof(job.payoutRoot as Bytes32, { trainer, amount: payout }, proof.proof))) {
    throw new RevenueClaimRefusedError(
      "invalid-proof",
      `the coordinator's proof that job ${model.jobId} paid ${trainer} ${payout} does not verify against the job's payout root on chain (${job.payoutRoot}): not sending a claim that would revert`,
      { jobId: String(model.jobId), payout: String(payout), payoutRoot: job.payoutRoot },
    );
  }
  const [pool, claimed] = await Promise.all([
    models.contributorPool(modelId),
    models.contributorClaimed(modelId, trainer),
  ]);
  const entitled = job.payoutTotal === 0n ? 0n : (pool * payout) / job.payoutTotal;
  return {
    modelId,
    jobId: model.jobId,
    trainer,
    payout,
    payoutTotal: job.payoutTotal,
    pool,
    entitled,
    claimed,
    claimable: entitled > claimed ? entitled - claimed : 0n,
    paymentToken: model.paymentToken.toLowerCase() as Address,
    proof: proof.proof as Bytes32[],
  };
}

/**
 * Claims the signer's share of model `modelId`'s contributor pool (`claimContributorRevenue` on ModelRegistry, paid
 * to the contributor at once): the share and its proof as `contributorShare` checks them, refused before anything is
 * sent when nothing new is due (`nothing-to-claim`); a claim the contract still reverts is refused with its decoded
 * error. Returns what the `ContributorRevenueClaimed` event recorded.
 */
export async function claimContributorRevenue(options: {
  readonly signer: Signer;
  readonly modelRegistry: string;
  readonly trainingJobs: string;
  readonly coordinatorUrl: string;
  readonly modelId: bigint;
}): Promise<{ amount: bigint; txHash: string }> {
  const { signer, modelId } = options;
  const provider = signer.provider;
  if (provider === null) {
    throw new TributaryError("INVALID_INPUT", "claimContributorRevenue needs a signer connected to the chain");
  }
  const share = await contributorShare({ ...options, provider, trainer: await signer.getAddress() });
  if (share.claimable === 0n) {
    throw new RevenueClaimRefusedError(
      "nothing-to-claim",
      `${share.trainer} has nothing new to claim from model ${modelId}: its share of the ${share.pool} base units its licences put in the contributors' pool is ${share.entitled}, and ${share.claimed} was paid already`,
      { pool: String(share.pool), entitled: String(share.entitled), claimed: String(share.claimed) },
    );
  }
  const models = connectModelRegistry(options.modelRegistry, signer);
  let tx: ContractTransactionResponse;
  try {
    tx = await models.claimContributorRevenue(modelId, share.trainer, share.payout, [...share.proof]);
  } catch (error) {
    const decoded = decodeRevert(error);
    if (decoded === undefined) throw error;
    throw new RevenueClaimRefusedError(
      "reverted",
      `ModelRegistry refused the claim of ${share.trainer} on model ${modelId}: ${decoded.text}`,
      { error: decoded.name },
      error,
    );
  }
  const receipt = await tx.wait();
  if (receipt === null || receipt.status !== 1) {
    throw new TributaryError("CLAIM_FAILED", `the claim transaction ${tx.hash} was not mined successfully`, {
      details: { txHash: tx.hash },
    });
  }
  const logs = await models.queryFilter(
    models.filters.ContributorRevenueClaimed(modelId, share.trainer),
    receipt.blockNumber,
    receipt.blockNumber,
  );
  const paid = logs.find((log) => log.transactionHash === tx.hash);
  if (paid === undefined) {
    throw new TributaryError("NO_EVENT", `ModelRegistry emitted no ContributorRevenueClaimed in ${tx.hash}`);
  }
  return { amount: paid.args.amount, txHash: tx.hash };
}
