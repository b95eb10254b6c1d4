import { createHash } from "node:crypto";
import { LocalChain } from "@tributary/contracts/local-chain";
import { type JobId, type JobSpec, jobSpecHash, type ModelMetadataInput } from "@tributary/protocol";
import { type Signer, Wallet } from "ethers";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { DATABASES } from "../../test-support/databases.js";
import {
  connectTrainers,
  createOnChainJob,
  evaluate,
  startChainCoordinator,
  trainRound,
} from "../../test-support/on-chain-job.js";
import { ok, request, signInAs, until } from "../../test-support/rest.js";
import { ChainRoundAnchorRepository } from "../chain/chain-round-anchor.repository.js";
import type { Coordinator } from "../create-coordinator.js";

const E18 = 10n ** 18n;
const STAKE = 1_000n * E18;
const PRICE = 10n * E18;

let chain: LocalChain;
beforeAll(async () => {
  chain = await LocalChain.start();
});
afterAll(async () => {
  await chain?.stop();
});

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const step of cleanup.reverse()) await step();
  cleanup = [];
});

/** The HTTP status and bytes of `GET path` as `token`'s holder (or anonymously). */
async function get(coordinator: Coordinator, path: string, token?: string) {
  const response = await fetch(`${coordinator.url}${path}`, {
    headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
  });
  return { status: response.status, bytes: new Uint8Array(await response.arrayBuffer()) };
}

const sha256 = (bytes: Uint8Array) => `0x${createHash("sha256").update(bytes).digest("hex")}`;

/** `signer` stakes `STAKE` TRIB (sent from the deployer) and registers a model of job `jobId` with `modelHash`. */
async function register(signer: Signer, jobId: JobId, modelHash: string): Promise<bigint> {
  const { token, staking, models } = chain.system.contracts;
  const address = await signer.getAddress();
  if (address !== chain.deployer.address) await chain.transferTokens(address, STAKE);
  await (await token.connect(signer).approve(staking, STAKE)).wait();
  await (await staking.connect(signer).stake(STAKE)).wait();
  await (
    await models.connect(signer).registerModel({
      modelHash,
      modelURI: "ipfs://metadata",
      endpoint: "",
      pricePerToken: 1n,
      licensePrice: PRICE,
      paymentToken: await token.getAddress(),
      jobId: BigInt(jobId),
      stake: STAKE,
    })
  ).wait();
  return models.modelCount();
}

describe.each(DATABASES)("ModelRegistry listings and licensed weights on $name", (database) => {
  it("publishes checked metadata, opens the final model to approved providers and the weights to licence holders only", async () => {
    const db = await database.setup();
    cleanup.push(() => db.cleanup());
    const sender = await chain.fundedWallet();
    const coordinator = await startChainCoordinator(chain, db, sender);
    cleanup.push(() => coordinator.close());
    const { owners, datasets, jobId } = await createOnChainJob(chain, coordinator, sender, 1);
    const trainers = await connectTrainers(coordinator, owners, datasets, jobId);
    cleanup.push(async () => {
      for (const trainer of trainers) trainer.close();
    });
    await trainRound(trainers, 3);
    await evaluate(trainers, 0);
    const anchors = coordinator.app.get(ChainRoundAnchorRepository);
    await until("the job to be finalised on chain", () => anchors.finalModelHash(jobId), 60_000);

    // The reference: what the chain says of the job, independently of the coordinator's registry code.
    const { jobs, models, token } = chain.system.contracts;
    const anchored = (await jobs.getRound(BigInt(jobId), 1n)).modelHash;
    const job = await ok<{ spec: JobSpec; modelCid: string }>(coordinator.url, "GET", `/jobs/${jobId}`);
    expect(jobSpecHash(job.spec)).toBe((await jobs.getJob(BigInt(jobId))).modelSpecHash);
    const metadata: ModelMetadataInput = {
      version: 1,
      chainId: chain.chainId,
      trainingJobs: chain.system.deployment.contracts.TrainingJobs,
      jobId,
      modelHash: anchored,
      modelCid: job.modelCid,
      parameters: 10,
      task: "regression",
      jobSpec: job.spec,
      validation: null,
      privacy: datasets.map((datasetId) => ({ datasetId, epsilon: null })),
    };
    const researcher = await signInAs(coordinator.url, chain.deployer);
    const provider = await chain.fundedWallet();
    const buyer = await chain.fundedWallet({ tokens: PRICE });
    const stranger = await signInAs(coordinator.url, Wallet.createRandom());
    const asProvider = await signInAs(coordinator.url, provider);
    const asBuyer = await signInAs(coordinator.url, buyer);
    const publish = (body: unknown, as?: string) =>
      request<{ cid: string; uri: string; error: { code: string; message: string } }>(
        coordinator.url,
        "POST",
        `/jobs/${jobId}/model-metadata`,
        body,
        as,
      );

    // Publishing: only the researcher (or a provider it approved), and only what agrees with the chain.
    expect((await publish(metadata)).status).toBe(401);
    expect((await publish(metadata, stranger)).status).toBe(403);
    expect((await publish(metadata, asProvider)).status).toBe(403);
    const forged = await publish({ ...metadata, modelHash: `0x${"11".repeat(32)}` }, researcher);
    expect(forged.status).toBe(400);
    expect(forged.body.error.message).toMatch(/^ModelMetadata\.modelHash: .* not the modelHash anchored/);
    const otherSpec = await publish({ ...metadata, jobSpec: { ...job.spec, learningRate: 0.2 } }, researcher);
    expect(otherSpec.body.error.message).toMatch(/^ModelMetadata\.jobSpec: .*not the job's modelSpecHash/);
    const wrongCount = await publish({ ...metadata, parameters: 11 }, researcher);
    expect(wrongCount.body.error.message).toBe("ModelMetadata.parameters: is 11, the spec's layout has 10");
    // A job the chain has not finalised lists nothing (the deployer is the researcher of every job here).
    const unfinished = await createOnChainJob(chain, coordinator, sender, 1);
    await until("the unfinished job to be adopted", async () =>
      (await request(coordinator.url, "GET", `/jobs/${unfinished.jobId}`)).status === 200 ? true : undefined,
    );
    const early = await request<{ error: { code: string } }>(
      coordinator.url,
      "POST",
      `/jobs/${unfinished.jobId}/model-metadata`,
      { ...metadata, jobId: unfinished.jobId },
      researcher,
    );
    expect(early.status).toBe(409);
    const published = await publish(metadata, researcher);
    expect(published.status).toBe(201);
    const served = await get(coordinator, `/model-metadata/${published.body.cid}`);
    expect(served.status).toBe(200);
    expect(JSON.parse(new TextDecoder().decode(served.bytes))).toMatchObject({ jobId, modelHash: anchored });
    expect(published.body.uri).toBe(`ipfs://${published.body.cid}`);
    // The route serves published documents only, never another blob by its CID.
    expect((await get(coordinator, `/model-metadata/${job.modelCid}`)).status).toBe(404);

    // An approved provider reads the job's final model (to serve it) and may publish; revoked, it may not.
    expect((await get(coordinator, `/models/${job.modelCid}`, asProvider)).status).toBe(403);
    await (await models.connect(chain.deployer).setProviderApproval(BigInt(jobId), provider.address, true)).wait();
    const finalModel = await get(coordinator, `/models/${job.modelCid}`, asProvider);
    expect(finalModel.status).toBe(200);
    expect(sha256(finalModel.bytes)).toBe(anchored);
    expect((await publish(metadata, asProvider)).status).toBe(201);
    expect((await get(coordinator, `/models/${job.modelCid}`, stranger)).status).toBe(403);
    await (await models.connect(chain.deployer).setProviderApproval(BigInt(jobId), provider.address, false)).wait();
    expect((await get(coordinator, `/models/${job.modelCid}`, asProvider)).status).toBe(403);

    // Licensed weights: 401 without a session, 404 for an unknown model, 403 without a licence, 200 with one.
    const modelId = await register(chain.deployer, jobId, anchored);
    const weights = `/licensed-models/${modelId}`;
    expect((await get(coordinator, weights)).status).toBe(401);
    expect((await get(coordinator, "/licensed-models/999", asBuyer)).status).toBe(404);
    expect((await get(coordinator, weights, asBuyer)).status).toBe(403);
    expect((await get(coordinator, weights, researcher)).status).toBe(403);
    await (await token.connect(buyer.connect(chain.provider())).approve(models, PRICE)).wait();
    await (await models.connect(buyer.connect(chain.provider())).purchaseLicense(modelId, PRICE)).wait();
    const licensed = await get(coordinator, weights, asBuyer);
    expect(licensed.status).toBe(200);
    expect(sha256(licensed.bytes)).toBe((await models.getModel(modelId)).modelHash);
    expect((await get(coordinator, weights, stranger)).status).toBe(403);

    // A model registered for the job with a hash the job never produced: the licence opens nothing here.
    const bogus = await register(chain.deployer, jobId, `0x${"22".repeat(32)}`);
    await (await token.connect(chain.deployer).approve(models, PRICE)).wait();
    await (await models.connect(chain.deployer).purchaseLicense(bogus, PRICE)).wait();
    expect((await get(coordinator, `/licensed-models/${bogus}`, researcher)).status).toBe(404);
  });
});
