import { type RoutedChannel, RoutedInferenceClient } from "@tributary/buyer";
import type { ModelRegistry, PaymentChannels } from "@tributary/contracts/typed";
import type { JobId } from "@tributary/protocol";
import type { Dataset } from "@tributary/trainer-agent";
import { formatUnits } from "ethers";
import type { ChainSession } from "../chain/chain-session.js";
import { Output } from "../chain/output.js";
import { type ChannelState, readChannel } from "../channel/channel-state.js";
import { buyLicence, type LicencePurchase } from "../model/buy-licence.js";
import { claimModelRevenue, REVENUE_SKIPPED, RevenueRefusedError } from "../model/contributor-revenue.js";
import { type Redemption, redeemVouchers } from "../provider/redeem-vouchers.js";
import type { DemoChain } from "./demo-chain.js";
import { CHEATER_BATCH, type CheaterOptions, type CheaterRun, runCheaterRequests } from "./demo-cheater.js";
import { CHEATER_ROLE, listCheater, settleScenario } from "./demo-cheater-market.js";
import { type InferenceLoad, labelledRequests, percentile, sendPaidRequests } from "./demo-inference-load.js";
import { closeChannelsWhenDue, openBuyerChannels } from "./demo-market-channels.js";
import { type ListedModel, listAndServe } from "./demo-market-provider.js";
import { type DemoRoute, routeThroughRouter } from "./demo-market-router.js";
import type { DemoOwner } from "./demo-owners.js";
import { DemoVerifiers } from "./demo-verifiers.js";
import type { VerificationResult } from "./verification-summary.js";

/** What the market phase does (`tributary up`'s market flags). Amounts in TRIB wei. */
export interface MarketOptions {
  readonly requests: number;
  /** Channels the buyer opens to each provider: a channel carries one request at a time. */
  readonly channels: number;
  readonly licencePrice: bigint;
  readonly pricePerExample: bigint;
  /** The cheater scenario (verifiable requests, tasks, a lying second provider), or undefined. */
  readonly cheater?: CheaterOptions | undefined;
}

/** What one data owner got from the model's licence revenue. */
export interface ContributorRevenueRow {
  readonly owner: number;
  readonly trainer: string;
  readonly amount: bigint;
  readonly txHash: string | null;
}

/** The market after the job, as the chain records it and the buyer measured it. Amounts in TRIB wei. */
export interface MarketResult {
  readonly modelId: string;
  readonly provider: string;
  readonly buyer: string;
  readonly endpoint: string;
  /** The task router the requests went through. */
  readonly router: string;
  readonly stake: bigint;
  readonly licence: Pick<LicencePurchase, "price" | "fee" | "providerShare" | "researcherShare" | "contributorShare">;
  readonly pricePerExample: bigint;
  readonly requests: number;
  /** Share of answers naming the record's label. */
  readonly accuracy: number;
  /** The accuracy `model register` evaluated on the job's validation set (null: scored by examples, none). */
  readonly registeredAccuracy: number | null;
  /** What the buyer owes for the answers it was served (the sum of its channels' cumulative vouchers). */
  readonly paid: bigint;
  /** Requests a provider failed or timed out on that the router sent on to another (or the same) provider. */
  readonly retried: number;
  /** What PaymentChannels paid the provider when it redeemed. */
  readonly providerRevenue: bigint;
  readonly redeemTx: string | null;
  /** The buyer's channels at the end: closed on the demo's own chain, still open (until expiry) on another. */
  readonly channels: readonly ChannelState[];
  readonly contributors: readonly ContributorRevenueRow[];
  readonly contributorRevenue: bigint;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** Seconds the market phase took, from the provider's funding to the last claim. */
  readonly durationS: number;
  /** With `--cheater`: what verified inference did to the honest provider and the cheater. */
  readonly verification?: VerificationResult;
}

/** A role's command lines in the demo's output, marked with whose they are. */
function roleOutput(note: (line: string) => void, role: string): Output {
  return new Output(false, (text) => note(`${role}: ${text.replace(/\n$/, "")}`), false);
}

/**
 * Every owner claims its share of the model's contributor pool as `claim --revenue --model` does; an owner the job
 * paid nothing has no share (a row of 0).
 */
async function claimRevenue(input: {
  readonly chain: DemoChain;
  readonly models: ModelRegistry;
  readonly modelId: bigint;
  readonly coordinatorUrl: string;
  readonly owners: readonly DemoOwner[];
  readonly note: (line: string) => void;
}): Promise<ContributorRevenueRow[]> {
  const rows: ContributorRevenueRow[] = [];
  for (const [index, owner] of input.owners.entries()) {
    const row = { owner: index + 1, trainer: owner.wallet.address.toLowerCase() };
    try {
      const claim = await claimModelRevenue(roleOutput(input.note, `owner ${row.owner}`), {
        trainer: owner.wallet,
        models: input.models.connect(owner.wallet),
        trainingJobs: input.chain.trainingJobs,
        coordinatorUrl: input.coordinatorUrl,
        modelId: input.modelId,
      });
      rows.push({ ...row, amount: claim.amount, txHash: claim.transaction.hash });
    } catch (error) {
      if (!(error instanceof RevenueRefusedError && REVENUE_SKIPPED.includes(error.reason))) throw error;
      rows.push({ ...row, amount: 0n, txHash: null });
    }
  }
  return rows;
}

/**
 * After a job is settled: its final model goes to market, every step through the same cores as the commands. A
 * provider lists and serves it (`listAndServe`) and announces itself to a task router (`router serve`, `provider
 * serve --router`); a buyer buys a licence (`model buy`), opens channels to the provider (`channel open`) and
 * sends `requests` paid predictions of the researcher's held-out `records` through the router (as `model predict
 * --router` does; the labels measure the accuracy; each request is timed); the provider stops and redeems the
 * vouchers (`provider redeem`); the buyer closes the channels (`channel close`); and every owner claims its share
 * of the licence revenue (`claim --revenue`).
 *
 * With `options.cheater`, a second provider, which cheats, lists and serves the same weights; the requests are
 * verifiable and a share of them become OptimisticVerifier tasks, checked by a challenger and a committee
 * (`runCheaterRequests`); after the channels close (past the dispute windows too) the buyer finalises the undisputed
 * tasks (`model tasks --finalize`), and the chain's record of both providers is read (`readVerificationResult`).
 */
export async function runMarket(input: {
  readonly chain: DemoChain;
  readonly session: ChainSession;
  readonly coordinatorUrl: string;
  readonly jobId: JobId;
  readonly owners: readonly DemoOwner[];
  readonly records: Dataset;
  readonly runDir: string;
  readonly options: MarketOptions;
  readonly note: (line: string) => void;
}): Promise<MarketResult> {
  const { chain, session, options, note } = input;
  const started = performance.now();
  const models: ModelRegistry = await session.contract("ModelRegistry");
  const channels: PaymentChannels = await session.contract("PaymentChannels");
  const shared = {
    chain,
    session,
    models,
    staking: await session.contract("Staking"),
    coordinatorUrl: input.coordinatorUrl,
    jobId: input.jobId,
    licencePrice: options.licencePrice,
    pricePerExample: options.pricePerExample,
    runDir: input.runDir,
    researcherOut: roleOutput(note, "researcher"),
  };
  const listed = await listAndServe({ ...shared, out: roleOutput(note, "provider") });
  const modelId = BigInt(listed.registered.modelId);
  const buyerOut = roleOutput(note, "buyer");
  const serving: ListedModel[] = [listed];
  let route: DemoRoute | undefined;
  let stopped = false;
  try {
    const cheater =
      options.cheater === undefined
        ? undefined
        : await listCheater(shared, options.cheater, roleOutput(note, CHEATER_ROLE));
    if (cheater !== undefined) serving.push(cheater);
    route = await routeThroughRouter({
      session,
      providers: serving.map((provider) => ({
        wallet: provider.wallet,
        service: provider.serving.service,
        modelId: BigInt(provider.registered.modelId),
        pricePerExample: options.pricePerExample,
        out: roleOutput(note, provider === cheater ? CHEATER_ROLE : "provider"),
      })),
      routerOut: roleOutput(note, "router"),
      // The cheater scenario waits for the router to drop a slashed provider: it reads standings every second.
      standingIntervalMs: cheater === undefined ? 5_000 : 1_000,
    });
    const token = await chain.paymentToken();
    // What the requests cost, twice over (what is not paid is refunded on close), and a little headroom per channel;
    // with the cheater, that for each provider, and every request's price for its task.
    const deposit =
      2n * BigInt(options.requests) * options.pricePerExample + BigInt(options.requests * options.channels);
    const taskBudget = cheater === undefined ? 0n : BigInt(options.requests) * options.pricePerExample;
    const buyer = await chain.newAccount(options.licencePrice + deposit * BigInt(serving.length) + taskBudget);
    const licence = await buyLicence(buyerOut, {
      buyer,
      models: models.connect(buyer),
      modelId,
      maxPrice: formatUnits(options.licencePrice, token.decimals),
      approve: true,
    });
    // The buyer finds the provider and the model's hash on ModelRegistry, and pins them.
    const model = await models.getModel(modelId);
    const offered: RoutedChannel[] = [];
    for (const provider of serving) {
      const payers = await openBuyerChannels(buyerOut, {
        chain,
        buyer,
        channels: channels.connect(buyer),
        provider: provider.wallet.address,
        token,
        deposit,
        count: options.channels,
      });
      offered.push(...payers.map((payer) => ({ provider: provider.wallet.address, payer })));
    }
    const client = await RoutedInferenceClient.connect(route.url, modelId, {
      channels: offered,
      expect: { modelHash: model.modelHash },
      verifiable: cheater !== undefined,
    });
    const examples = labelledRequests(input.records, listed.registered.model.spec.model.inputShape);
    let scenario: { run: CheaterRun; verifiers: DemoVerifiers } | undefined;
    let load: InferenceLoad;
    if (cheater === undefined || options.cheater === undefined) {
      buyerOut.say(
        `sending ${options.requests} paid requests of one held-out record each through the router at ${route.url}, ${options.channels} at a time (one per channel)`,
      );
      load = await sendPaidRequests({ client, examples, requests: options.requests, concurrency: options.channels });
    } else {
      const verifiers = await DemoVerifiers.appoint({
        chain,
        session,
        modelIds: serving.map((provider) => BigInt(provider.registered.modelId)),
        modelDir: listed.modelDir,
        requestSources: serving.map((provider) => provider.serving.service.url),
        bonds: CHEATER_BATCH,
        out: (role) => roleOutput(note, role),
      });
      const run = await runCheaterRequests({
        session,
        honest: listed,
        cheater,
        route,
        client,
        buyer,
        token,
        pricePerExample: options.pricePerExample,
        examples,
        requests: options.requests,
        concurrency: options.channels,
        taskRate: options.cheater.taskRate,
        lieShare: options.cheater.lieShare,
        verifiers,
        runDir: input.runDir,
        out: (role) => roleOutput(note, role),
      });
      scenario = { run, verifiers };
      load = run.load;
    }
    const paid = offered.reduce((sum, channel) => sum + channel.payer.spending().served, 0n);
    buyerOut.say(
      `${load.requests} answers, every receipt checked: ${load.correct} name the record's label; the buyer owes for answers served ${paid} wei in all${load.retried === 0 ? "" : `; ${load.retried} request(s) the router retried`}`,
    );
    stopped = true;
    await route.close();
    const redemptions: Redemption[] = [];
    for (const provider of serving) {
      await provider.serving.service.close();
      const out = roleOutput(note, provider === cheater ? CHEATER_ROLE : "provider");
      redemptions.push(...(await redeemVouchers(out, session, provider.wallet, provider.serving.service.store)));
    }
    const channelIds = offered.map((channel) => channel.payer.channelId);
    await closeChannelsWhenDue(chain, buyerOut, { buyer, channels: channels.connect(buyer), channelIds });
    const verification =
      scenario === undefined || cheater === undefined || options.cheater === undefined
        ? undefined
        : await settleScenario({
            ...input,
            buyer,
            buyerOut,
            honest: listed,
            cheater,
            ...scenario,
            cheaterOptions: options.cheater,
          });
    const contributors = await claimRevenue({ ...input, modelId, models });
    const validation = listed.registered.metadata.validation;
    const states: ChannelState[] = [];
    for (const id of channelIds) states.push(await readChannel(chain.provider, channels, id));
    return {
      modelId: listed.registered.modelId,
      provider: listed.wallet.address.toLowerCase(),
      buyer: buyer.address.toLowerCase(),
      endpoint: model.endpoint,
      router: route.url,
      stake: listed.stake,
      licence,
      pricePerExample: options.pricePerExample,
      requests: load.requests,
      accuracy: load.correct / load.requests,
      registeredAccuracy: validation?.accuracy ?? null,
      paid,
      retried: load.retried,
      providerRevenue: redemptions.reduce((sum, r) => sum + r.received, 0n),
      redeemTx: redemptions.find((r) => r.transaction !== undefined)?.transaction?.hash ?? null,
      channels: states,
      contributors,
      contributorRevenue: contributors.reduce((sum, row) => sum + row.amount, 0n),
      p50Ms: percentile(load.latenciesMs, 50),
      p99Ms: percentile(load.latenciesMs, 99),
      durationS: Number(((performance.now() - started) / 1000).toFixed(1)),
      ...(verification === undefined ? {} : { verification }),
    };
  } finally {
    if (!stopped) {
      await route?.close();
      for (const provider of serving) await provider.serving.service.close();
    }
  }
}
