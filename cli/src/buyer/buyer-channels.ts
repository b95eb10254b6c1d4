import type { ChainSession } from "../chain/chain-session.js";
import { RefusedError } from "../chain/run-command.js";

/** An open channel of the buyer's, as PaymentChannels holds it (addresses lower case, amounts in base units). */
export interface BuyerChannel {
  readonly channelId: bigint;
  readonly provider: string;
  readonly token: string;
  readonly deposit: bigint;
  /** What the provider has redeemed so far. */
  readonly paid: bigint;
}

/** Most blocks one `eth_getLogs` spans (public RPC endpoints refuse wider ranges). */
const LOG_RANGE = 10_000;
const OPEN = 1n;

/**
 * The buyer's open channels paying in `token`: those given in `only` (each must be the buyer's, open and in the
 * token, or the command stops naming it), else every one PaymentChannels' `ChannelOpened` events name the buyer in
 * since the deployment's first block, less those closed, closing or in another token.
 */
export async function buyerChannels(
  chain: ChainSession,
  buyer: string,
  token: string,
  only: readonly bigint[] | undefined,
): Promise<BuyerChannel[]> {
  const channels = await chain.contract("PaymentChannels");
  let ids: bigint[];
  if (only !== undefined) {
    ids = [...only];
  } else {
    ids = [];
    const { startBlock } = (await chain.deployment()).deployment;
    const head = await chain.provider.getBlockNumber();
    const filter = channels.filters.ChannelOpened(undefined, buyer);
    for (let from = startBlock; from <= head; from += LOG_RANGE) {
      const to = Math.min(head, from + LOG_RANGE - 1);
      for (const event of await channels.queryFilter(filter, from, to)) ids.push(event.args.channelId);
    }
  }
  const count = await channels.channelCount();
  const found: BuyerChannel[] = [];
  for (const channelId of ids) {
    if (channelId === 0n || channelId > count) {
      throw new RefusedError("CHANNEL_UNKNOWN", `PaymentChannels has no channel ${channelId}`);
    }
    const channel = await channels.getChannel(channelId);
    const view = {
      channelId,
      provider: channel.provider.toLowerCase(),
      token: channel.token.toLowerCase(),
      deposit: channel.deposit,
      paid: channel.paid,
    };
    const usable = channel.buyer.toLowerCase() === buyer.toLowerCase() && channel.status === OPEN;
    if (usable && view.token === token.toLowerCase()) {
      found.push(view);
    } else if (only !== undefined) {
      throw new RefusedError(
        "CHANNEL_UNUSABLE",
        `channel ${channelId} is not an open channel of ${buyer.toLowerCase()} in the model's token ${token.toLowerCase()}`,
      );
    }
  }
  return found;
}
