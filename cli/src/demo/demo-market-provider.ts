import { createServer } from "node:net";
import path from "node:path";
import type { ModelRegistry, Staking } from "@tributary/contracts/typed";
import type { JobId } from "@tributary/protocol";
import type { Wallet } from "ethers";
import type { ChainSession } from "../chain/chain-session.js";
import type { Output } from "../chain/output.js";
import { formatToken, type TokenInfo, tokenInfo } from "../chain/spend.js";
import { CoordinatorClient } from "../job/coordinator-client.js";
import { writeJobModel } from "../job/job-model.js";
import { approveProvider } from "../model/approve-provider.js";
import { type RegisteredJobModel, registerJobModel } from "../model/register-model.js";
import { depositStake } from "../provider/deposit-stake.js";
import { SERVE_DEFAULTS, type ServingModel, serveRegisteredModel } from "../provider/serve-registered-model.js";
import type { DemoChain } from "./demo-chain.js";

/** The provider's side of the market: its account, what it staked, the model it listed and its running service. */
export interface ListedModel {
  readonly wallet: Wallet;
  /** What it staked on Staking: the listing's locked stake, and any stake besides. */
  readonly stake: bigint;
  /** The stake its listing locks (ModelRegistry's minimum). */
  readonly locked: bigint;
  readonly stakeToken: TokenInfo;
  readonly registered: RegisteredJobModel;
  readonly serving: ServingModel;
  /** The model's files (as `job model` writes them) and the service's state (vouchers, requests, task cursor). */
  readonly modelDir: string;
  readonly stateDir: string;
}

/** A TCP port free on 127.0.0.1 now, so the provider can register the endpoint it is about to serve at. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address !== null ? resolve(address.port) : reject()));
    });
  });
}

/**
 * A provider lists and serves job `jobId`'s final model, each step through its command's core: the researcher
 * approves the provider's fresh account for the job (`model approve`); the provider stakes ModelRegistry's minimum
 * (`stake deposit`), registers the model at `licencePrice` and `pricePerExample` with the endpoint it will serve at,
 * locking that stake (`model register`: weights checked against the chain, ledger audited, accuracy evaluated on the
 * validation set), writes the model's files as `job model` does, and serves them (`provider serve`: checked against
 * ModelRegistry again, vouchers kept in `<runDir>/<dir>/state`). `dir` (default `provider`) keeps two providers of
 * one run apart; `extraStake` is staked on top of what the listing locks.
 */
export async function listAndServe(input: {
  readonly chain: DemoChain;
  readonly session: ChainSession;
  readonly models: ModelRegistry;
  readonly staking: Staking;
  readonly coordinatorUrl: string;
  readonly jobId: JobId;
  readonly licencePrice: bigint;
  readonly pricePerExample: bigint;
  readonly runDir: string;
  readonly researcherOut: Output;
  readonly out: Output;
  readonly dir?: string;
  readonly extraStake?: bigint;
}): Promise<ListedModel> {
  const { chain, session, models, staking, jobId, out } = input;
  const stakeToken = await tokenInfo(await staking.stakingToken(), chain.provider);
  const { minModelStake: locked } = await models.parameters();
  const stake = locked + (input.extraStake ?? 0n);
  const wallet = await chain.newAccount(stake);
  out.say(`${wallet.address}, funded by the researcher with ${formatToken(stake, stakeToken)} to stake`);
  const approval = await approveProvider(input.researcherOut, {
    researcher: chain.researcher,
    models: models.connect(chain.researcher),
    trainingJobs: chain.trainingJobs,
    jobId,
    provider: wallet.address,
    approved: true,
  });
  // The coordinator lets an approved provider publish metadata and read the model once it trusts that block.
  await chain.waitForConfirmations(approval.blockNumber);
  await depositStake(out, {
    staker: wallet,
    staking: staking.connect(wallet),
    token: stakeToken,
    amount: stake,
    approve: true,
  });
  const port = await freePort();
  const coordinator = await CoordinatorClient.signIn(input.coordinatorUrl, wallet, chain.chainId);
  const registered = await registerJobModel(out, {
    coordinator,
    chain: { provider: chain.provider, chainId: BigInt(chain.chainId), trainingJobs: chain.trainingJobs },
    registrant: { address: wallet.address, models: models.connect(wallet), staking, stakeToken },
    offer: {
      jobId,
      stake: locked,
      pricePerToken: input.pricePerExample,
      licencePrice: input.licencePrice,
      paymentToken: await chain.paymentToken(),
      endpoint: `http://${SERVE_DEFAULTS.host}:${port}`,
    },
  });
  const modelDir = path.join(input.runDir, input.dir ?? "provider", "model");
  const stateDir = path.join(input.runDir, input.dir ?? "provider", "state");
  await writeJobModel(registered.model, modelDir);
  const serving = await serveRegisteredModel(out, {
    chain: session,
    wallet,
    modelId: BigInt(registered.modelId),
    modelDir,
    stateDir,
    // The portal the demo's coordinator serves may call the provider from the browser (the buyer's page).
    settings: { ...SERVE_DEFAULTS, port, corsOrigins: [new URL(input.coordinatorUrl).origin] },
  });
  out.say(`serving model ${registered.modelId} at ${serving.service.url} on the ${serving.backend.name} backend`);
  return { wallet, stake, locked, stakeToken, registered, serving, modelDir, stateDir };
}
