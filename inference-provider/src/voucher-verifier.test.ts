import { recoverVoucherSigner, type SignedVoucher, signVoucher, voucherDigest } from "@tributary/protocol";
import { secp256k1, secp256k1Wasm } from "@tributary/signatures";
import { getBytes, hexlify, randomBytes, recoverAddress, Signature, Wallet } from "ethers";
import { describe, expect, it } from "vitest";
import { VoucherVerifier } from "./voucher-verifier.js";

const N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
const deployment = { chainId: 31337n, contract: `0x${"12".repeat(20)}` as const };
const buyer = new Wallet(hexlify(randomBytes(32)));
const stranger = new Wallet(hexlify(randomBytes(32)));
const buyerAddress = buyer.address.toLowerCase();

/** The signature with its 32-byte words and v rewritten. */
function rewrite(signature: string, change: (parts: { r: bigint; s: bigint; v: number }) => void): string {
  const bytes = getBytes(signature);
  const parts = { r: BigInt(hexlify(bytes.subarray(0, 32))), s: BigInt(hexlify(bytes.subarray(32, 64))), v: bytes[64] };
  change(parts as { r: bigint; s: bigint; v: number });
  const word = (value: bigint) => value.toString(16).padStart(64, "0");
  return `0x${word(parts.r)}${word(parts.s)}${(parts.v as number).toString(16).padStart(2, "0")}`;
}

/** ecrecover as the EVM computes it (no low-s rule), by ethers' own curve code: the independent reference. */
function ecrecover(voucher: SignedVoucher): string {
  const bytes = getBytes(voucher.signature);
  const r = hexlify(bytes.subarray(0, 32));
  const s = hexlify(bytes.subarray(32, 64));
  const yParity = ((bytes[64] as number) - 27) as 0 | 1;
  // Signature.from refuses a high s; the EVM's ecrecover does not, so build the point through the low-s twin.
  const high = BigInt(s) > N / 2n;
  const low = high ? `0x${(N - BigInt(s)).toString(16).padStart(64, "0")}` : s;
  const signature = Signature.from({ r, s: low, yParity: (high ? 1 - yParity : yParity) as 0 | 1 });
  return recoverAddress(voucherDigest(voucher, voucher), signature).toLowerCase();
}

describe.each([secp256k1, secp256k1Wasm])("VoucherVerifier ($name libsecp256k1)", (curve) => {
  it("accepts exactly the vouchers ethers recovers to the buyer, before and after the buyer's key is known", async () => {
    const verifier = new VoucherVerifier(deployment, curve);
    for (const [channelId, amount] of [
      [1n, 1n],
      [1n, 2n],
      [7n, 123_456_789n],
      [2n ** 200n, 2n ** 255n + 5n],
    ] as const) {
      const voucher = await signVoucher(buyer, deployment, { channelId, amount });
      expect(recoverVoucherSigner(voucher)).toBe(buyerAddress);
      expect(verifier.signedBy(voucher, buyerAddress)).toBe(true);
      const foreign = await signVoucher(stranger, deployment, { channelId, amount });
      expect(recoverVoucherSigner(foreign)).not.toBe(buyerAddress);
      expect(verifier.signedBy(foreign, buyerAddress)).toBe(false);
      expect(verifier.signedBy(foreign, stranger.address.toLowerCase())).toBe(true);
    }
  });

  it("refuses a signature by anyone else, for another voucher or deployment, also while the buyer's key is cached", async () => {
    const fresh = new VoucherVerifier(deployment, curve);
    const byStranger = await signVoucher(stranger, deployment, { channelId: 3n, amount: 10n });
    expect(fresh.signedBy(byStranger, buyerAddress)).toBe(false);
    const good = await signVoucher(buyer, deployment, { channelId: 3n, amount: 10n });
    expect(fresh.signedBy(good, buyerAddress)).toBe(true);
    expect(fresh.signedBy(byStranger, buyerAddress)).toBe(false);
    // The buyer's signature moved onto another amount, channel or deployment no longer recovers to the buyer.
    expect(fresh.signedBy({ ...good, amount: 11n }, buyerAddress)).toBe(false);
    expect(fresh.signedBy({ ...good, channelId: 4n }, buyerAddress)).toBe(false);
    const elsewhere = await signVoucher(buyer, { ...deployment, chainId: 1n }, { channelId: 3n, amount: 10n });
    expect(fresh.signedBy({ ...elsewhere, ...deployment }, buyerAddress)).toBe(false);
  });

  it("refuses what PaymentChannels' ECDSA refuses: high s (the malleated twin), v other than 27/28, r or s out of range, a flipped v", async () => {
    const verifier = new VoucherVerifier(deployment, curve);
    const good = await signVoucher(buyer, deployment, { channelId: 9n, amount: 500n });
    expect(verifier.signedBy(good, buyerAddress)).toBe(true);
    const malleated = rewrite(good.signature, (parts) => {
      parts.s = N - parts.s;
      parts.v = parts.v === 27 ? 28 : 27;
    });
    // The twin is a valid ECDSA signature of the buyer (ecrecover returns the buyer); OpenZeppelin refuses its high s.
    expect(ecrecover({ ...good, signature: malleated })).toBe(buyerAddress);
    expect(verifier.signedBy({ ...good, signature: malleated }, buyerAddress)).toBe(false);
    const flipped = rewrite(good.signature, (parts) => {
      parts.v = parts.v === 27 ? 28 : 27;
    });
    // The same (r, s) with the other v: ecrecover returns another key, though (r, s) verifies against the buyer's.
    expect(ecrecover({ ...good, signature: flipped })).not.toBe(buyerAddress);
    expect(verifier.signedBy({ ...good, signature: flipped }, buyerAddress)).toBe(false);
    const refused = [
      rewrite(good.signature, (parts) => {
        parts.v -= 27;
      }),
      rewrite(good.signature, (parts) => {
        parts.r = 0n;
      }),
      rewrite(good.signature, (parts) => {
        parts.r += N;
      }),
      rewrite(good.signature, (parts) => {
        parts.s = 0n;
      }),
      `${good.signature}00`,
      good.signature.slice(0, 130),
    ];
    for (const signature of refused) expect(verifier.signedBy({ ...good, signature }, buyerAddress)).toBe(false);
    expect(verifier.signedBy(good, buyerAddress)).toBe(true);
  });
});
