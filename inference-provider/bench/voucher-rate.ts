/**
 * Voucher verification rates on one thread: the provider's `VoucherVerifier` (native libsecp256k1 where it loads),
 * the same verifier on libsecp256k1 in WebAssembly (what the provider ran before), and ethers' `verifyTypedData`
 * (the baseline). The vouchers are signed beforehand, by ethers for the first and by the provider's digest and
 * signer for the rest (checked equal to ethers' on the first).
 */
import {
  channelsDomain,
  recoverVoucherSigner,
  type SignedVoucher,
  signVoucher,
  VOUCHER_TYPES,
} from "@tributary/protocol";
import { StaticTypedData, secp256k1Wasm, signDigest, uintWord } from "@tributary/signatures";
import { getBytes, type Wallet } from "ethers";
import { VoucherVerifier } from "../src/voucher-verifier.js";
import { perSecond, threadCpuMs } from "./bench-stats.js";

const deployment = { chainId: 31337n, contract: `0x${"12".repeat(20)}` as const };

/** Signs cumulative vouchers fast (libsecp256k1), exactly as `signVoucher` signs them with ethers. */
export class FastVoucherSigner {
  readonly #typed: StaticTypedData;
  readonly #key: Uint8Array;

  constructor(
    private readonly buyer: Wallet,
    private readonly on: { readonly chainId: bigint; readonly contract: `0x${string}` },
  ) {
    this.#typed = new StaticTypedData(channelsDomain(on), VOUCHER_TYPES);
    this.#key = getBytes(buyer.privateKey);
  }

  sign(channelId: bigint, amount: bigint): SignedVoucher {
    const signature = signDigest(this.#typed.digest([uintWord(channelId), uintWord(amount)]), this.#key);
    return { ...this.on, channelId, amount, signature };
  }

  /** Throws unless ethers signs the same voucher with the same signature. */
  async checkAgainstEthers(): Promise<void> {
    const reference = await signVoucher(this.buyer, this.on, { channelId: 1n, amount: 77n });
    if (reference.signature !== this.sign(1n, 77n).signature) throw new Error("voucher signatures differ from ethers'");
  }
}

function measure(count: number, verify: (index: number) => boolean) {
  const cpu = process.threadCpuUsage();
  const start = performance.now();
  for (let index = 0; index < count; index++) if (!verify(index)) throw new Error("a good voucher was refused");
  const wallMs = performance.now() - start;
  return { perS: perSecond(count, wallMs), perCpuS: perSecond(count, threadCpuMs(cpu)) };
}

export interface VoucherRates {
  readonly backend: string;
  /** The provider's verifier: per wall second and per CPU second of its thread. */
  readonly ours: { readonly perS: number; readonly perCpuS: number };
  readonly wasm: { readonly perS: number; readonly perCpuS: number };
  readonly ethers: { readonly perS: number; readonly perCpuS: number };
}

export async function voucherRates(buyer: Wallet, count: number): Promise<VoucherRates> {
  const signer = new FastVoucherSigner(buyer, deployment);
  await signer.checkAgainstEthers();
  const vouchers = Array.from({ length: count }, (_, index) => signer.sign(1n, BigInt(index + 1)));
  const address = buyer.address.toLowerCase();
  const native = new VoucherVerifier(deployment);
  const wasm = new VoucherVerifier(deployment, secp256k1Wasm);
  // Warm-up: JIT and each verifier's first recovery (which learns the buyer's key).
  for (const voucher of vouchers.slice(0, 200)) native.signedBy(voucher, address) && wasm.signedBy(voucher, address);
  const ours = measure(count, (index) => native.signedBy(vouchers[index] as SignedVoucher, address));
  const wasmRate = measure(count, (index) => wasm.signedBy(vouchers[index] as SignedVoucher, address));
  const ethersCount = Math.min(count, 500);
  const ethers = measure(ethersCount, (index) => recoverVoucherSigner(vouchers[index] as SignedVoucher) === address);
  return { backend: native.backend, ours, wasm: wasmRate, ethers };
}
