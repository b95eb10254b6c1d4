import { hexlify, randomBytes, TypedDataEncoder, Wallet } from "ethers";
import { describe, expect, it } from "vitest";
import { signVoucher } from "./channel-voucher.js";
import { InvalidInputError } from "./parse.js";
import { PROVIDER_ANNOUNCEMENT_TYPES, recoverAnnouncementSigner, signAnnouncement } from "./provider-announcement.js";
import { parsePaymentsHeader, parseVoucherHeader, paymentsToHeader, voucherToHeader } from "./routing.js";

const wallet = new Wallet(hexlify(randomBytes(32)));
const channels = { chainId: 31337n, contract: `0x${"12".repeat(20)}` as const };
const registry = { chainId: 31337n, modelRegistry: `0x${"34".repeat(20)}` as const };

describe("provider announcements", () => {
  it("are EIP-712 typed data under ModelRegistry's domain, recovered to their signer only there", async () => {
    const announcement = {
      modelId: 3n,
      provider: wallet.address.toLowerCase() as `0x${string}`,
      endpoint: "http://127.0.0.1:8480",
      pricePerExample: 1_000n,
      issuedAt: 1_700_000_000n,
      expiresAt: 1_700_000_600n,
    };
    const signed = await signAnnouncement(wallet, registry, announcement);
    // The type string a contract or another client would hash, written out.
    expect(TypedDataEncoder.from(PROVIDER_ANNOUNCEMENT_TYPES).encodeType("ProviderAnnouncement")).toBe(
      "ProviderAnnouncement(uint256 modelId,address provider,string endpoint,uint256 pricePerExample,uint64 issuedAt,uint64 expiresAt)",
    );
    expect(recoverAnnouncementSigner(registry, signed)).toBe(announcement.provider);
    expect(recoverAnnouncementSigner({ ...registry, chainId: 1n }, signed)).not.toBe(announcement.provider);
    expect(recoverAnnouncementSigner(registry, { ...signed, expiresAt: signed.expiresAt + 1n })).not.toBe(
      announcement.provider,
    );
  });
});

describe("vouchers in headers", () => {
  it("round-trip, and a payments header names each provider once", async () => {
    const voucher = await signVoucher(wallet, channels, { channelId: 7n, amount: 12_345n });
    expect(parseVoucherHeader(voucherToHeader(voucher))).toEqual(voucher);
    const provider = `0x${"ab".repeat(20)}` as const;
    const header = paymentsToHeader([{ provider, voucher }]);
    expect(parsePaymentsHeader(header)).toEqual([{ provider, voucher }]);
    expect(() => parsePaymentsHeader(`${header}, ${header}`)).toThrow(/is offered twice/);
    expect(() => parseVoucherHeader("7:12345")).toThrow(InvalidInputError);
    expect(() => parsePaymentsHeader("")).toThrow(/offer at least one voucher/);
  });
});
