import { mkdir } from "node:fs/promises";
import path from "node:path";
import {
  type ChannelPayer,
  type ChannelPayerState,
  ChannelPayerStateWireSchema,
  payerStateFromWire,
  payerStateToWire,
  resumedPayerState,
} from "@tributary/buyer";
import { readStoredJson, writeFileDurably } from "@tributary/inference-provider";
import { AddressSchema, TributaryError, Uint256Schema } from "@tributary/protocol";
import { z } from "zod";

const FileSchema = z.strictObject({
  version: z.literal(1),
  chainId: Uint256Schema,
  contract: AddressSchema,
  buyer: AddressSchema,
  channels: z.record(Uint256Schema, ChannelPayerStateWireSchema),
});

/** Whose channels a file holds: one buyer on one PaymentChannels deployment. */
export interface PayerIdentity {
  readonly chainId: bigint;
  readonly contract: string;
  readonly buyer: string;
}

/**
 * A buyer's channels between sessions (`<stateDir>/channels-<chainId>-<contract>-<buyer>.json`): for each channel what
 * was served, what is uncertain (a request in flight when the file was written counts as uncertain), what was paid
 * without an answer, the highest voucher signed and the answers had. Written (synced, renamed) before each voucher
 * leaves and after each answer, so a buyer's next session signs what the provider expects.
 */
export class PayerStateFile {
  private constructor(
    readonly file: string,
    private readonly identity: PayerIdentity,
    private readonly channels: Map<string, ChannelPayerState>,
  ) {}

  static async open(stateDir: string, identity: PayerIdentity): Promise<PayerStateFile> {
    const name = `channels-${identity.chainId}-${identity.contract}-${identity.buyer}.json`.toLowerCase();
    const file = path.join(stateDir, name);
    await mkdir(stateDir, { recursive: true });
    const channels = new Map<string, ChannelPayerState>();
    const stored = await readStoredJson(file, FileSchema);
    if (stored !== undefined) {
      const expected = [identity.chainId.toString(), identity.contract.toLowerCase(), identity.buyer.toLowerCase()];
      if ([stored.chainId, stored.contract, stored.buyer].join() !== expected.join()) {
        throw new TributaryError("INVALID_INPUT", `${file} holds another buyer's or deployment's channels`);
      }
      for (const [id, state] of Object.entries(stored.channels)) channels.set(id, payerStateFromWire(state));
    }
    return new PayerStateFile(file, identity, channels);
  }

  /** What was kept of `channelId`; served is at least `paid`, what PaymentChannels already paid the provider. */
  state(channelId: bigint, paid: bigint): Partial<ChannelPayerState> {
    return resumedPayerState(this.channels.get(channelId.toString()), paid);
  }

  /** Writes the payers' states (synced, then renamed over the file). */
  async save(payers: readonly ChannelPayer[]): Promise<void> {
    for (const payer of payers) this.channels.set(payer.channelId.toString(), payer.state());
    const channels = Object.fromEntries([...this.channels].map(([id, state]) => [id, payerStateToWire(state)]));
    const { chainId, contract, buyer } = this.identity;
    const text = JSON.stringify({
      version: 1,
      chainId: chainId.toString(),
      contract: contract.toLowerCase(),
      buyer: buyer.toLowerCase(),
      channels,
    });
    await writeFileDurably(this.file, text);
  }
}
