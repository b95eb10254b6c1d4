import { mkdir, open, readFile, rename } from "node:fs/promises";
import path from "node:path";
import { AddressSchema, parseInput, TributaryError, Uint256Schema } from "@tributary/protocol";
import { z } from "zod";
import type { ChannelAccount } from "./voucher-ledger.js";

const AccountSchema = z.strictObject({
  accepted: Uint256Schema,
  signature: z.string(),
  owed: Uint256Schema,
  redeemed: Uint256Schema,
});

const StoreFileSchema = z.strictObject({
  version: z.literal(1),
  chainId: Uint256Schema,
  contract: AddressSchema,
  provider: AddressSchema,
  channels: z.record(Uint256Schema, AccountSchema),
});

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
 * The provider's vouchers on disk: for each channel the highest voucher accepted (with its signature), what was
 * served and what was redeemed. Every change is written (to a temporary file, synced, renamed over the old one)
 * before the answer it pays for leaves, so a restart never loses revenue and never accepts a replay. Concurrent
 * changes share one write (group commit).
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
    let text: string | undefined;
    try {
      text = await readFile(file, "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    }
    const accounts = new Map<string, ChannelAccount>();
    if (text !== undefined) {
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch (error) {
        throw new TributaryError("INVALID_INPUT", `${file} is not JSON: ${(error as Error).message}`);
      }
      const stored = parseInput(StoreFileSchema, json, file);
      const expected = [identity.chainId.toString(), identity.contract.toLowerCase(), identity.provider.toLowerCase()];
      if ([stored.chainId, stored.contract, stored.provider].join() !== expected.join()) {
        throw new TributaryError("INVALID_INPUT", `${file} holds another provider's or deployment's vouchers`);
      }
      for (const [id, account] of Object.entries(stored.channels)) {
        accounts.set(id, {
          accepted: BigInt(account.accepted),
          signature: account.signature,
          owed: BigInt(account.owed),
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
          accepted: account.accepted.toString(),
          signature: account.signature,
          owed: account.owed.toString(),
          redeemed: account.redeemed.toString(),
        },
      ]),
    );
    const text = JSON.stringify({
      version: 1,
      chainId: this.identity.chainId.toString(),
      contract: this.identity.contract.toLowerCase(),
      provider: this.identity.provider.toLowerCase(),
      channels,
    });
    const temporary = `${this.file}.tmp`;
    const handle = await open(temporary, "w");
    try {
      await handle.writeFile(text);
      await handle.datasync();
    } finally {
      await handle.close();
    }
    await rename(temporary, this.file);
  }
}
