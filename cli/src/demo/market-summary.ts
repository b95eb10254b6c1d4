import { formatTable } from "../chain/output.js";
import type { ChannelState } from "../channel/channel-state.js";
import type { MarketResult } from "./demo-market.js";
import { formatAmount, formatTrib } from "./payout-summary.js";

/** The `market` of the `--json` line: amounts as decimal wei strings, latencies in milliseconds. */
export function marketJson(market: MarketResult) {
  return {
    modelId: market.modelId,
    requests: market.requests,
    accuracy: market.accuracy,
    paidWei: String(market.paid),
    providerRevenueWei: String(market.providerRevenue),
    contributorRevenueWei: String(market.contributorRevenue),
    p50Ms: market.p50Ms,
    p99Ms: market.p99Ms,
  };
}

const percent = (value: number) => `${(value * 100).toFixed(2)}%`;

/**
 * The market part of the summary: one row for the model (its licence, the requests, their accuracy, what they paid
 * and whom, latencies), then where the licence price went, the channel's end and each owner's revenue claim.
 */
export function formatMarket(market: MarketResult): string {
  const rows = [
    [
      "model",
      "licence (TRIB)",
      "requests",
      "accuracy",
      "paid (TRIB)",
      "provider revenue (TRIB)",
      "contributor revenue (TRIB)",
      "p50 ms",
      "p99 ms",
    ],
    [
      market.modelId,
      formatTrib(market.licence.price),
      String(market.requests),
      percent(market.accuracy),
      formatTrib(market.paid),
      formatTrib(market.providerRevenue),
      formatTrib(market.contributorRevenue),
      market.p50Ms.toFixed(1),
      market.p99Ms.toFixed(1),
    ],
  ];
  const { licence, channels } = market;
  const registered =
    market.registeredAccuracy === null
      ? ""
      : ` (model register evaluated ${percent(market.registeredAccuracy)} on them)`;
  const claims = market.contributors
    .map((row) => `owner ${row.owner} ${formatAmount(row.amount)}${row.txHash === null ? "" : ` (tx ${row.txHash})`}`)
    .join(", ");
  const sum = (pick: (channel: ChannelState) => bigint) => channels.reduce((total, c) => total + pick(c), 0n);
  const ids = channels.map((c) => c.channelId).join(", ");
  const open = channels.filter((c) => c.status !== "closed");
  const closing =
    open.length === 0
      ? `closed after their expiry and challenge period on the local chain's clock, ${formatAmount(sum((c) => c.remaining))} refunded to the buyer`
      : `${open.length} still open until ${new Date(Number(open[0]?.expiry ?? 0n) * 1000).toISOString()}: the buyer closes each after that with tributary channel close ID (${formatAmount(sum((c) => c.remaining))} to refund)`;
  const retries = market.retried === 0 ? "no retries" : `${market.retried} retried at another attempt`;
  const lines = [
    `market (${market.durationS}s): model ${market.modelId} listed by provider ${market.provider} (approved by the researcher, ${formatAmount(market.stake)} staked), served at ${market.endpoint} at ${formatAmount(market.pricePerExample)} per example; buyer ${market.buyer}`,
    ...formatTable(rows).map((line) => `  ${line}`),
    `requests: through the task router at ${market.router} (${market.verification === undefined ? "the provider announced itself there" : "both providers announced themselves there"}, signed; ${retries}), one at a time on each of ${channels.length} channels; ${market.requests} held-out records with their labels${market.verification === undefined ? "" : " (verifiable: integer logits)"}, answered correctly ${percent(market.accuracy)}${registered}`,
    `licence ${formatAmount(licence.price)} = ${formatAmount(licence.fee)} protocol fee + ${formatAmount(licence.providerShare)} provider + ${formatAmount(licence.researcherShare)} researcher (credited on ModelRegistry) + ${formatAmount(licence.contributorShare)} contributors' pool; claimed: ${claims}`,
    `channels ${ids}: deposits ${formatAmount(sum((c) => c.deposit))}, ${formatAmount(sum((c) => c.paid))} redeemed by the provider${market.verification === undefined ? "" : "s"}${market.redeemTx === null ? "" : ` (tx ${market.redeemTx}, …)`}, ${closing}`,
  ];
  return `${lines.join("\n")}\n`;
}
