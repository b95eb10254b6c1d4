import { TrainingJobsReader } from "@tributary/auditor";
import type { ModelRegistry, Staking } from "@tributary/contracts/typed";
import { type JobId, type ModelMetadata, modelMetadataCid, TributaryError } from "@tributary/protocol";
import { z } from "zod";
import type { Output } from "../chain/output.js";
import { RefusedError } from "../chain/run-command.js";
import { formatToken, type TokenInfo } from "../chain/spend.js";
import { type MinedTransaction, sendAndWait } from "../chain/transactions.js";
import type { CoordinatorClient } from "../job/coordinator-client.js";
import type { JobModel } from "../job/job-model.js";
import { buildModelMetadata, type JobChain } from "./build-model-metadata.js";

/** What a registrant signs with and the contracts it uses, connected to the chain. */
export interface Registrant {
  readonly address: string;
  readonly models: ModelRegistry;
  readonly staking: Staking;
  /** The token stake is held in (to show amounts). */
  readonly stakeToken: TokenInfo;
}

/** The offer a model is registered with; amounts in base units. */
export interface ModelOffer {
  readonly jobId: JobId;
  readonly stake: bigint;
  readonly pricePerToken: bigint;
  readonly licencePrice: bigint;
  readonly paymentToken: TokenInfo;
  readonly endpoint: string;
}

export interface RegisteredJobModel {
  readonly modelId: string;
  readonly modelURI: string;
  readonly metadataCid: string;
  readonly metadata: ModelMetadata;
  /** The final model that was registered, as downloaded and checked against the chain. */
  readonly model: JobModel;
  readonly transaction: MinedTransaction;
}

/** `POST /jobs/:id/model-metadata`'s answer. */
const PublishedSchema = z.object({ cid: z.string(), uri: z.string() });

/**
 * Refuses, before anything is downloaded or sent, what ModelRegistry would refuse: a job that is unknown or not
 * finalised, a registrant that is neither the job's researcher nor a provider it approved, a stake below the
 * governance minimum or above the registrant's free stake on Staking.
 */
async function checkRegistration(chain: JobChain, registrant: Registrant, offer: ModelOffer): Promise<void> {
  const { jobId, stake } = offer;
  const job = await (await TrainingJobsReader.at(chain.provider, chain.trainingJobs)).job(BigInt(jobId));
  if (job === undefined)
    throw new RefusedError("UNKNOWN_JOB", `TrainingJobs ${chain.trainingJobs} knows no job ${jobId}`);
  if (job.status !== "Finalized") {
    throw new RefusedError(
      "JOB_NOT_FINALIZED",
      `job ${jobId} is ${job.status} on TrainingJobs: its model can be registered once the job is finalised`,
      { status: job.status },
    );
  }
  const who = registrant.address.toLowerCase();
  if (job.researcher !== who && !(await registrant.models.isProviderApproved(BigInt(jobId), who))) {
    throw new RefusedError(
      "NOT_APPROVED",
      `${who} is neither job ${jobId}'s researcher (${job.researcher}) nor a provider it approved: the researcher approves one with tributary model approve --job ${jobId} --provider ${who}`,
      { researcher: job.researcher },
    );
  }
  const show = (amount: bigint) => formatToken(amount, registrant.stakeToken);
  const { minModelStake } = await registrant.models.parameters();
  if (stake < minModelStake) {
    throw new RefusedError(
      "INSUFFICIENT_STAKE",
      `--stake ${show(stake)} is below ModelRegistry's minimum stake per model, ${show(minModelStake)}`,
      { stake, minimum: minModelStake },
    );
  }
  const [active, locked] = await Promise.all([registrant.staking.stakeOf(who), registrant.staking.lockedOf(who)]);
  const free = active - locked;
  if (free < stake) {
    throw new RefusedError(
      "INSUFFICIENT_STAKE",
      `registering locks ${show(stake)} of ${who}'s stake, but only ${show(free)} of it is free (${show(active)} staked, ${show(locked)} locked by other models): stake ${show(stake - free)} more first (tributary stake deposit --amount …)`,
      { stake, free, missing: stake - free },
    );
  }
}

/**
 * Registers a finalised job's final model on ModelRegistry: checks what the contract would refuse, builds the
 * model's metadata (`buildModelMetadata`: weights checked against the chain, ε from the audited ledger, accuracy
 * evaluated here on the job's validation set), publishes it at the coordinator, checks that the CID it answers is
 * that of the document built here, and sends `registerModel` with the weights' hash, `ipfs://<CID>` as `modelURI`,
 * the offer and the stake to lock.
 */
export async function registerJobModel(
  out: Output,
  input: { coordinator: CoordinatorClient; chain: JobChain; registrant: Registrant; offer: ModelOffer },
): Promise<RegisteredJobModel> {
  const { coordinator, chain, registrant, offer } = input;
  await checkRegistration(chain, registrant, offer);
  out.say(`checking job ${offer.jobId}'s final model against the chain, auditing its ledger and evaluating it`);
  const { metadata, model } = await buildModelMetadata({ coordinator, chain, jobId: offer.jobId });
  const published = await coordinator.postJson(
    `/jobs/${offer.jobId}/model-metadata`,
    metadata,
    PublishedSchema,
    "published model metadata",
  );
  const metadataCid = modelMetadataCid(metadata);
  if (published.cid !== metadataCid) {
    throw new TributaryError(
      "METADATA_MISMATCH",
      `the coordinator stored the metadata as ${published.cid}, but its canonical bytes are ${metadataCid}: not registering a URI that names something else`,
    );
  }
  const modelURI = `ipfs://${metadataCid}`;
  out.say(`metadata published as ${modelURI}`);
  const transaction = await sendAndWait(out, {
    description: `register job ${offer.jobId}'s model, locking ${formatToken(offer.stake, registrant.stakeToken)}`,
    call: "ModelRegistry.registerModel",
    send: () =>
      registrant.models.registerModel({
        modelHash: metadata.modelHash,
        modelURI,
        endpoint: offer.endpoint,
        pricePerToken: offer.pricePerToken,
        licensePrice: offer.licencePrice,
        paymentToken: offer.paymentToken.address,
        jobId: BigInt(offer.jobId),
        stake: offer.stake,
      }),
  });
  const registered = await registrant.models.queryFilter(
    registrant.models.filters.ModelRegistered(undefined, registrant.address, BigInt(offer.jobId)),
    transaction.blockNumber,
    transaction.blockNumber,
  );
  const event = registered.find((log) => log.transactionHash === transaction.hash);
  if (event === undefined) {
    throw new TributaryError("NO_EVENT", `ModelRegistry emitted no ModelRegistered in ${transaction.hash}`);
  }
  return { modelId: String(event.args.modelId), modelURI, metadataCid, metadata, model, transaction };
}
