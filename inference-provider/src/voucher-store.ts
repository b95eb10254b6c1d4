import { mkdir } from "node:fs/promises";
import path from "node:path";
import { AddressSchema, TributaryError, Uint256Schema } from "@tributary/protocol";
import { z } from "zod";
import { readStoredJson, writeFileDurably } from "./stored-file.js";
import type { ChannelAccount } from "./voucher-ledger.js";

const AccountSchema = z.strictObject({
  redeemable: Uint256Schema,
  signature: z.string(),
  served: Uint256Schema,
  redeemed: Uint256Schema,
});

/** Version 1 kept the highest voucher accepted, answered or not, and what was served, as `accepted` and `owed`. */
const AccountV1Schema = z
  .strictObject({ accepted: Uint256Schema, signature: z.string(), owed: Uint256Schema, redeemed: Uint256Schema })
  .transform(({ accepted, signature, owed, redeemed }) => ({
    redeemable: accepted,
    signature,
    served: owed,
    redeemed,
  }));

const identity = { chainId: Uint256Schema, contract: AddressSchema, provider: AddressSchema };
const StoreFileSchema = z.union([
  z.strictObject({ version: z.literal(2), ...identity, channels: z.record(Uint256Schema, AccountSchema) }),
  z.strictObject({ version: z.literal(1), ...identity, channels: z.record(Uint256Schema, AccountV1Schema) }),
]);

/** Whose vouchers a store holds: one provider on one PaymentChannels deployment. */
export interface StoreIdentity {
  readonly chainId: bigint;
  readonly contract: string;
  readonly provider: string;
}

/** The file of a provider's vouchers in `stateDir`. */
export function voucherStoreFile(stateDir: string, identity: StoreIdentity): string {
  return path.join(
    stateDir,
    `vouchers-${identity.chainId}-${identity.contract}-${identity.provider}.json`.toLowerCase(),
  );
}

/**
 * The provider's vouchers on disk: for each channel the voucher it can redeem (with its signature), what was served
 * and what was redeemed. A change is written (to a temporary file, synced, renamed over the old one) once the answer
 * it pays for has been handed to the network, never before, so nothing a buyer did not get can be redeemed; a
 * crash between the two loses the record of those answers, which the buyer's next voucher on the channel restores
 * (`VoucherLedger`). Concurrent changes share one write (group commit).
 */
export class VoucherStore {
  #inFlight: Promise<void> = Promise.resolve();
  #queued: Promise<void> | undefined;

  private constructor(
    readonly file: string,
    private readonly identity: StoreIdentity,
    readonly accounts: Map<string, ChannelAccount>,
  ) {}

  /** Opens (or starts) the store of `identity` in `stateDir`. */
  static async open(stateDir: string, identity: StoreIdentity): Promise<VoucherStore> {
    const file = voucherStoreFile(stateDir, identity);
    await mkdir(stateDir, { recursive: true });
    const accounts = new Map<string, ChannelAccount>();
    const stored = await readStoredJson(file, StoreFileSchema);
    if (stored !== undefined) {
      const expected = [identity.chainId.toString(), identity.contract.toLowerCase(), identity.provider.toLowerCase()];
      if ([stored.chainId, stored.contract, stored.provider].join() !== expected.join()) {
        throw new TributaryError("INVALID_INPUT", `${file} holds another provider's or deployment's vouchers`);
      }
      for (const [id, account] of Object.entries(stored.channels)) {
        accounts.set(id, {
          redeemable: BigInt(account.redeemable),
          signature: account.signature,
          served: BigInt(account.served),
          redeemed: BigInt(account.redeemed),
        });
      }
    }
    return new VoucherStore(file, identity, accounts);
  }

  /** Writes the accounts as they are when the write starts; resolves once they are on disk. */
  save(): Promise<void> {
    if (this.#queued !== undefined) return this.#queued;
    const queued = this.#inFlight.then(() => {
      this.#queued = undefined;
      return this.#write();
    });
    this.#queued = queued;
    this.#inFlight = queued.catch(() => {});
    return queued;
  }

  async #write(): Promise<void> {
    const channels = Object.fromEntries(
      [...this.accounts].map(([id, account]) => [
        id,
        {
          redeemable: account.redeemable.toString(),
          signature: account.signature,
          served: account.served.toString(),
          redeemed: account.redeemed.toString(),
        },
      ]),
    );
    const text = JSON.stringify({
      version: 2,
      chainId: this.identity.chainId.toString(),
      contract: this.identity.contract.toLowerCase(),
      provider: this.identity.provider.toLowerCase(),
      channels,
    });
    await writeFileDurably(this.file, text);
  }
}
