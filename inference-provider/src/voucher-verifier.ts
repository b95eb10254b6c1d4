import {
  type ChannelsDeployment,
  channelsDomain,
  type SignedVoucher,
  signatureProblem,
  VOUCHER_TYPES,
} from "@tributary/protocol";
import { addressOf, recoverKey, type Secp256k1, StaticTypedData, secp256k1, uintWord } from "@tributary/signatures";
import { getBytes } from "ethers";

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let index = 0; index < a.length; index++) if (a[index] !== b[index]) return false;
  return true;
}

/**
 * Checks vouchers' signatures exactly as `PaymentChannels` does (OpenZeppelin's `ECDSA.recover` over
 * `voucherDigest`): a well-formed 65-byte signature with low s and v 27/28, and the key `ecrecover` returns for it
 * belongs to the channel's buyer. Fast: the EIP-712 domain separator and type hash are computed once, each digest
 * is two keccak256 over fixed buffers, recovery runs in libsecp256k1 (native where it loads), and the public key of
 * each buyer, learned from its first good signature, is compared byte for byte instead of hashing every recovered
 * key to an address (an address names one key: another key with the same address would be a keccak256 collision).
 */
export class VoucherVerifier {
  readonly #typed: StaticTypedData;
  /** Buyer address (lower case) → its uncompressed public key, once a signature of theirs was recovered. */
  readonly #keys = new Map<string, Uint8Array>();

  constructor(
    deployment: ChannelsDeployment,
    private readonly curve: Secp256k1 = secp256k1,
  ) {
    this.#typed = new StaticTypedData(channelsDomain(deployment), VOUCHER_TYPES);
  }

  /** Which libsecp256k1 build recovers the keys. */
  get backend(): Secp256k1["name"] {
    return this.curve.name;
  }

  /** Whether `voucher.signature` over the voucher's digest (on this deployment) is `buyer`'s (lower case). */
  signedBy(voucher: SignedVoucher, buyer: string): boolean {
    if (signatureProblem(voucher.signature) !== undefined) return false;
    const digest = this.#typed.digest([uintWord(voucher.channelId), uintWord(voucher.amount)]);
    const key = recoverKey(digest, getBytes(voucher.signature), this.curve);
    if (key === undefined) return false;
    const known = this.#keys.get(buyer);
    if (known !== undefined) return sameBytes(key, known);
    if (addressOf(key) !== buyer) return false;
    this.#keys.set(buyer, key);
    return true;
  }
}
