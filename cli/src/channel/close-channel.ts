import type { PaymentChannels } from "@tributary/contracts/typed";
import type { Wallet } from "ethers";
import type { Output } from "../chain/output.js";
import { RefusedError } from "../chain/run-command.js";
import { type MinedTransaction, sendAndWait } from "../chain/transactions.js";
import { type ChannelState, readChannel, when } from "./channel-state.js";

/** One step of closing a channel: what was sent, and the channel afterwards. */
export interface ChannelCloseStep {
  readonly step: "startClose" | "finalizeClose";
  readonly transaction: MinedTransaction;
  readonly channel: ChannelState;
}

/**
 * `tributary channel close`'s core, one step per call: an open channel past its expiry starts closing
 * (`startClose`: the provider may still redeem during the challenge period); a closing channel past its challenge
 * period is closed and the rest of the deposit refunded to the buyer (`finalizeClose`). Refuses, before anything
 * is sent, a channel of another buyer, one not yet expired, one still in its challenge period, and a closed one.
 */
export async function closeChannel(
  out: Output,
  input: { readonly buyer: Wallet; readonly channels: PaymentChannels; readonly channelId: bigint },
): Promise<ChannelCloseStep> {
  const { buyer, channels, channelId: id } = input;
  const chain = buyer.provider;
  if (chain === null) throw new TypeError("closeChannel needs a buyer connected to the chain");
  const channel = await readChannel(chain, channels, id);
  if (channel.buyer !== buyer.address.toLowerCase()) {
    throw new RefusedError("NOT_BUYER", `channel ${id} belongs to buyer ${channel.buyer}, not ${buyer.address}`);
  }
  let step: ChannelCloseStep["step"];
  if (channel.status === "open") {
    if (channel.chainTime <= channel.expiry) {
      throw new RefusedError(
        "CHANNEL_NOT_EXPIRED",
        `channel ${id} expires at ${when(channel.expiry)}: its buyer may start closing it only after that (the provider redeems until then and during the challenge period)`,
        { expiry: channel.expiry },
      );
    }
    step = "startClose";
  } else if (channel.status === "closing") {
    if (channel.chainTime <= channel.closeDeadline) {
      throw new RefusedError(
        "CHALLENGE_PERIOD",
        `channel ${id} is closing: its challenge period ends at ${when(channel.closeDeadline)}; run channel close again after that to get the rest back`,
        { closeDeadline: channel.closeDeadline },
      );
    }
    step = "finalizeClose";
  } else {
    throw new RefusedError("CHANNEL_CLOSED", `channel ${id} is already closed`);
  }
  const transaction = await sendAndWait(out, {
    description: step === "startClose" ? `start closing channel ${id}` : `close channel ${id} and refund the rest`,
    call: `PaymentChannels.${step}`,
    send: () => (step === "startClose" ? channels.startClose(id) : channels.finalizeClose(id)),
  });
  return { step, transaction, channel: await readChannel(chain, channels, id) };
}
