import { ChannelPayer, InferenceClient } from "@tributary/buyer";
import type { ModelRegistry, PaymentChannels } from "@tributary/contracts/typed";
import type { Address, JobId } from "@tributary/protocol";
import type { Dataset } from "@tributary/trainer-agent";
import { formatUnits, type Wallet } from "ethers";
import type { ChainSession } from "../chain/chain-session.js";
import { Output } from "../chain/output.js";
import { type ChannelState, readChannel } from "../channel/channel-state.js";
import { closeChannel } from "../channel/close-channel.js";
import { openChannel } from "../channel/open-channel.js";
import { buyLicence, type LicencePurchase } from "../model/buy-licence.js";
import { claimModelRevenue, REVENUE_SKIPPED, RevenueRefusedError } from "../model/contributor-revenue.js";
import { redeemVouchers } from "../provider/redeem-vouchers.js";
import type { DemoChain } from "./demo-chain.js";
import { labelledRequests, percentile, sendPaidRequests } from "./demo-inference-load.js";
import { listAndServe } from "./demo-market-provider.js";
import type { DemoOwner } from "./demo-owners.js";

/** What the market phase does (`tributary up`'s market flags). Amounts in TRIB wei. */
export interface MarketOptions {
  readonly requests: number;
  readonly concurrency: number;
  readonly licencePrice: bigint;
  readonly pricePerExample: bigint;
}

/** How long the buyer's channel runs: past the provider's refusal margin (600 s) with room for the requests. */
const CHANNEL_EXPIRES_IN_S = 3_600;

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
  readonly stake: bigint;
  readonly licence: Pick<LicencePurchase, "price" | "fee" | "providerShare" | "researcherShare" | "contributorShare">;
  readonly pricePerExample: bigint;
  /** Where the requests went: straight to the provider (the demo starts no task router). */
  readonly route: "direct";
  readonly requests: number;
  /** Share of answers naming the record's label. */
  readonly accuracy: number;
  /** The accuracy `model register` evaluated on the job's validation set (null: scored by examples, none). */
  readonly registeredAccuracy: number | null;
  /** What the buyer owes for the answers it was served (the channel's cumulative voucher). */
  readonly paid: bigint;
  /** What PaymentChannels paid the provider when it redeemed. */
  readonly providerRevenue: bigint;
  readonly redeemTx: string | null;
  /** The buyer's channel at the end: closed on the demo's own chain, still open (until its expiry) on another. */
  readonly channel: ChannelState;
  readonly contributors: readonly ContributorRevenueRow[];
  readonly contributorRevenue: bigint;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** Seconds the market phase took, from the provider's funding to the last claim. */
  readonly durationS: number;
}

/** A role's command lines in the demo's output, marked with whose they are. */
function roleOutput(note: (line: string) => void, role: string): Output {
  return new Output(false, (text) => note(`${role}: ${text.replace(/\n$/, "")}`), false);
}

/**
 * The buyer closes its channel as `channel close` does: on the demo's own chain it moves the clock past the
 * channel's expiry (`startClose`), then past the challenge period (`finalizeClose`: the rest refunded). On another
 * chain neither can pass now, so the channel stays open and the buyer closes it later.
 */
async function closeWhenDue(
  chain: DemoChain,
  out: Output,
  close: { readonly buyer: Wallet; readonly channels: PaymentChannels; readonly channelId: bigint },
): Promise<void> {
  if (!chain.local) return;
  const { channels, channelId } = close;
  out.say(`moving the local chain's clock past channel ${channelId}'s expiry, then past its challenge period`);
  await chain.advanceTimeTo((await channels.getChannel(channelId)).expiry + 1n);
  const started = await closeChannel(out, close);
  await chain.advanceTimeTo(started.channel.closeDeadline + 1n);
  await closeChannel(out, close);
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
 * provider lists and serves it (`listAndServe`); a buyer buys a licence (`model buy`), opens a channel to the
 * provider (`channel open`) and sends `requests` paid predictions of the researcher's held-out `records` (their
 * labels measure the accuracy; each request is timed); the provider stops and redeems the vouchers (`provider
 * redeem`); the buyer closes the channel (`channel close`); and every owner claims its share of the licence revenue
 * (`claim --revenue`).
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
  const listed = await listAndServe({
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
    out: roleOutput(note, "provider"),
  });
  const { service } = listed.serving;
  const modelId = BigInt(listed.registered.modelId);
  const buyerOut = roleOutput(note, "buyer");
  let stopped = false;
  try {
    const token = await chain.paymentToken();
    // What the requests cost, twice over (what is not paid is refunded on close), and a little headroom.
    const deposit = 2n * BigInt(options.requests) * options.pricePerExample + BigInt(options.requests);
    const buyer = await chain.newAccount(options.licencePrice + deposit);
    const licence = await buyLicence(buyerOut, {
      buyer,
      models: models.connect(buyer),
      modelId,
      maxPrice: formatUnits(options.licencePrice, token.decimals),
      approve: true,
    });
    // The buyer finds the provider, the model's hash and its endpoint on ModelRegistry, and pins them.
    const model = await models.getModel(modelId);
    const opened = await openChannel(buyerOut, {
      buyer,
      channels: channels.connect(buyer),
      provider: model.provider,
      token,
      deposit,
      expiresIn: CHANNEL_EXPIRES_IN_S,
      approve: true,
    });
    const payer = new ChannelPayer(
      buyer,
      { chainId: BigInt(chain.chainId), contract: (await channels.getAddress()).toLowerCase() as Address },
      opened.channelId,
    );
    const client = await InferenceClient.connect(model.endpoint, {
      payer,
      expect: { provider: model.provider, modelHash: model.modelHash },
    });
    buyerOut.say(
      `sending ${options.requests} paid requests of one held-out record each to ${model.endpoint}, ${options.concurrency} at a time (direct to the provider over one channel, which carries one request at a time; the demo starts no task router)`,
    );
    const load = await sendPaidRequests({
      client,
      examples: labelledRequests(input.records, listed.registered.model.spec.model.inputShape),
      requests: options.requests,
      concurrency: options.concurrency,
    });
    const spending = client.spending();
    buyerOut.say(
      `${load.requests} answers, every receipt checked: ${load.correct} name the record's label; the buyer owes for answers served ${spending?.served ?? 0n} wei in all`,
    );
    stopped = true;
    await service.close();
    const redemptions = await redeemVouchers(roleOutput(note, "provider"), session, listed.wallet, service.store);
    await closeWhenDue(chain, buyerOut, {
      buyer,
      channels: channels.connect(buyer),
      channelId: opened.channelId,
    });
    const contributors = await claimRevenue({ ...input, modelId, models });
    const validation = listed.registered.metadata.validation;
    const channel = await readChannel(chain.provider, channels, opened.channelId);
    return {
      modelId: listed.registered.modelId,
      provider: listed.wallet.address.toLowerCase(),
      buyer: buyer.address.toLowerCase(),
      endpoint: model.endpoint,
      stake: listed.stake,
      licence,
      pricePerExample: options.pricePerExample,
      route: "direct",
      requests: load.requests,
      accuracy: load.correct / load.requests,
      registeredAccuracy: validation?.accuracy ?? null,
      paid: spending?.served ?? 0n,
      providerRevenue: redemptions.reduce((sum, r) => sum + r.received, 0n),
      redeemTx: redemptions.find((r) => r.transaction !== undefined)?.transaction?.hash ?? null,
      channel,
      contributors,
      contributorRevenue: contributors.reduce((sum, row) => sum + row.amount, 0n),
      p50Ms: percentile(load.latenciesMs, 50),
      p99Ms: percentile(load.latenciesMs, 99),
      durationS: Number(((performance.now() - started) / 1000).toFixed(1)),
    };
  } finally {
    if (!stopped) await service.close();
  }
}
