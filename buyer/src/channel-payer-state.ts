import { Uint256Schema } from "@tributary/protocol";
import { z } from "zod";
import type { ChannelPayerState } from "./channel-payer.js";

/** A channel's `ChannelPayerState` as it is kept between sessions (a file, a browser's storage): amounts as decimals. */
export const ChannelPayerStateWireSchema = z.strictObject({
  served: Uint256Schema,
  uncertain: Uint256Schema,
  unanswered: Uint256Schema,
  signed: Uint256Schema,
  requests: z.number().int().nonnegative(),
});
export type ChannelPayerStateWire = z.infer<typeof ChannelPayerStateWireSchema>;

export function payerStateToWire(state: ChannelPayerState): ChannelPayerStateWire {
  return {
    served: state.served.toString(),
    uncertain: state.uncertain.toString(),
    unanswered: state.unanswered.toString(),
    signed: state.signed.toString(),
    requests: state.requests,
  };
}

export function payerStateFromWire(wire: ChannelPayerStateWire): ChannelPayerState {
  return {
    served: BigInt(wire.served),
    uncertain: BigInt(wire.uncertain),
    unanswered: BigInt(wire.unanswered),
    signed: BigInt(wire.signed),
    requests: wire.requests,
  };
}

/**
 * The state a payer resumes a channel with: what was kept of it, its `served` at least `paid` (what PaymentChannels
 * already paid the provider); a channel nothing was kept of starts at `paid`.
 */
export function resumedPayerState(kept: ChannelPayerState | undefined, paid: bigint): Partial<ChannelPayerState> {
  if (kept === undefined) return { served: paid, signed: paid };
  return { ...kept, served: kept.served > paid ? kept.served : paid };
}
