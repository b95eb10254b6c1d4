import {
  type Address,
  parseInput,
  recoverSecAggSigner,
  type SecAggAdvertiseKeys,
  SecAggAdvertiseKeysSchema,
  SecAggMaskedInputSchema,
  type SecAggNeighbourKeys,
  type SecAggShareKeys,
  SecAggShareKeysSchema,
  type SecAggSharesDelivery,
  type SecAggTrainerMessage,
  SecAggUnmaskingSchema,
  type SecAggUnmaskRequest,
} from "@tributary/protocol";
import { getBytes, sha256 } from "ethers";
import type { CommunicationGraph } from "./communication-graph.js";
import { SecAggAbortedError, SecAggMessageError } from "./errors.js";
import { agreeKey, publicKeyOf } from "./key-agreement.js";
import { applyMask, bytesToWords, maskWords } from "./mask-stream.js";
import { pairSign, purposes, roundGraph, type SecAggRoundContext } from "./secagg-round.js";
import { bigIntToBytes, bytesToBigInt, reconstructSecret, type ShamirShare } from "./shamir.js";

type Stage = "advertise" | "share" | "mask" | "unmask" | "done";

/** The sum a SecAgg round reveals: of the survivors' inputs, modulo 2^32. */
export interface SecAggResult {
  readonly sum: Uint32Array;
  readonly survivors: readonly Address[];
  /** Trainers that shared their keys but sent no masked input (their pairwise masks were removed). */
  readonly dropped: readonly Address[];
}

/**
 * The coordinator's side of one SecAgg+ round, as a state machine over the trainers' signed messages: it
 * checks each message's signature, round and sender, relays keys and ciphertexts to neighbours, and at the end
 * reconstructs the survivors' self-mask seeds and the dropped trainers' masking keys from `threshold` shares
 * each to remove their masks. It never holds one trainer's unmasked input. `close*` ends a stage (the caller's
 * deadline); trainers that did not answer by then have dropped.
 */
export class SecAggServer {
  private stage: Stage = "advertise";
  private readonly graph: CommunicationGraph;
  private readonly advertisements = new Map<Address, SecAggAdvertiseKeys>();
  private readonly shares = new Map<Address, SecAggShareKeys>();
  private readonly masked = new Map<Address, Uint32Array>();
  private survivors: Address[] = [];
  private dropped: Address[] = [];
  /** Revealed shares: secret owner → revealer → y. */
  private readonly selfMaskShares = new Map<Address, Map<Address, bigint>>();
  private readonly keyShares = new Map<Address, Map<Address, bigint>>();
  /** Survivors whose unmasking arrived. */
  private readonly unmasked = new Set<Address>();

  constructor(private readonly context: SecAggRoundContext) {
    this.graph = roundGraph(context);
  }

  private expect(stage: Stage): void {
    if (this.stage !== stage) throw new SecAggMessageError(`the round is at ${this.stage}, not ${stage}`);
  }

  private authenticate(message: SecAggTrainerMessage, what: string, allowed: ReadonlySet<Address> | undefined): void {
    if (message.jobId !== this.context.jobId || message.round !== this.context.round) {
      throw new SecAggMessageError("message of another job or round", { trainer: message.trainer });
    }
    if (!this.graph.isParticipant(message.trainer) || (allowed !== undefined && !allowed.has(message.trainer))) {
      throw new SecAggMessageError(`${what} from a trainer not in this stage`, { trainer: message.trainer });
    }
    if (recoverSecAggSigner(this.context.domain, message, `${what}.signature`) !== message.trainer) {
      throw new SecAggMessageError(`${what} not signed by its trainer`, { trainer: message.trainer });
    }
  }

  receiveAdvertisement(input: unknown): void {
    this.expect("advertise");
    const message = parseInput(SecAggAdvertiseKeysSchema, input, "SecAggAdvertiseKeys");
    this.authenticate(message, "SecAggAdvertiseKeys", undefined);
    if (this.advertisements.has(message.trainer))
      throw new SecAggMessageError("keys advertised twice", { trainer: message.trainer });
    this.advertisements.set(message.trainer, message);
  }

  /** Ends AdvertiseKeys; the trainers that advertised go on. */
  closeAdvertising(): readonly Address[] {
    this.expect("advertise");
    this.requireAtLeast(this.advertisements.size, "advertised keys");
    this.stage = "share";
    return [...this.advertisements.keys()];
  }

  /** What the coordinator sends `trainer` after AdvertiseKeys: its neighbours' signed keys. */
  neighbourKeysFor(trainer: Address): SecAggNeighbourKeys {
    const advertisements = this.graph.neighboursOf(trainer).flatMap((peer) => this.advertisements.get(peer) ?? []);
    return { jobId: this.context.jobId, round: this.context.round, advertisements };
  }

  receiveShares(input: unknown): void {
    this.expect("share");
    const message = parseInput(SecAggShareKeysSchema, input, "SecAggShareKeys");
    this.authenticate(message, "SecAggShareKeys", new Set(this.advertisements.keys()));
    if (this.shares.has(message.trainer))
      throw new SecAggMessageError("shares sent twice", { trainer: message.trainer });
    const recipients = new Set<Address>();
    for (const { to } of message.ciphertexts) {
      if (!this.graph.areNeighbours(message.trainer, to) || !this.advertisements.has(to) || recipients.has(to)) {
        throw new SecAggMessageError("a ciphertext for a trainer that is not an advertised neighbour, or twice", {
          to,
        });
      }
      recipients.add(to);
    }
    this.shares.set(message.trainer, message);
  }

  closeSharing(): readonly Address[] {
    this.expect("share");
    this.requireAtLeast(this.shares.size, "shared their keys");
    this.stage = "mask";
    return [...this.shares.keys()];
  }

  /** What the coordinator sends `trainer` after ShareKeys: the ciphertexts addressed to it. */
  deliveryFor(trainer: Address): SecAggSharesDelivery {
    const ciphertexts: SecAggSharesDelivery["ciphertexts"] = [];
    for (const [from, message] of this.shares) {
      const found = message.ciphertexts.find((entry) => entry.to === trainer);
      if (found !== undefined) ciphertexts.push({ from, ciphertext: found.ciphertext });
    }
    return { jobId: this.context.jobId, round: this.context.round, ciphertexts };
  }

  receiveMaskedInput(input: unknown, bytes: Uint8Array): void {
    this.expect("mask");
    const message = parseInput(SecAggMaskedInputSchema, input, "SecAggMaskedInput");
    this.authenticate(message, "SecAggMaskedInput", new Set(this.shares.keys()));
    if (this.masked.has(message.trainer))
      throw new SecAggMessageError("masked input sent twice", { trainer: message.trainer });
    if (message.length !== this.context.length || bytes.byteLength !== 4 * this.context.length) {
      throw new SecAggMessageError(`a masked input of ${bytes.byteLength} bytes, not ${4 * this.context.length}`);
    }
    if (sha256(bytes) !== message.maskedHash)
      throw new SecAggMessageError("masked bytes do not match their signed hash");
    this.masked.set(message.trainer, bytesToWords(bytes));
  }

  /**
   * A masked input that reached the caller authenticated otherwise: the coordinator takes it as the round's signed
   * `update`, whose EIP-712 header (checked by the caller) commits to the words' SHA-256. Refused from a trainer
   * that did not share its keys, twice, or of the wrong length.
   */
  acceptMaskedInput(trainer: Address, words: Uint32Array): void {
    this.expect("mask");
    if (!this.shares.has(trainer)) {
      throw new SecAggMessageError("a masked input from a trainer that did not share its keys", { trainer });
    }
    if (this.masked.has(trainer)) throw new SecAggMessageError("masked input sent twice", { trainer });
    if (words.length !== this.context.length) {
      throw new SecAggMessageError(`a masked input of ${words.length} words, not ${this.context.length}`, { trainer });
    }
    this.masked.set(trainer, words);
  }

  /** Whether `trainer` shared its keys (so a masked input from it is expected). */
  hasShared(trainer: Address): boolean {
    return this.shares.has(trainer);
  }

  /** Ends MaskedInputCollection: the unmasking request every survivor is sent. */
  closeMaskedInputs(): SecAggUnmaskRequest {
    this.expect("mask");
    this.requireAtLeast(this.masked.size, "sent a masked input");
    this.survivors = [...this.masked.keys()];
    this.dropped = [...this.shares.keys()].filter((trainer) => !this.masked.has(trainer));
    this.stage = "unmask";
    return { jobId: this.context.jobId, round: this.context.round, survivors: this.survivors, dropped: this.dropped };
  }

  receiveUnmasking(input: unknown): void {
    this.expect("unmask");
    const message = parseInput(SecAggUnmaskingSchema, input, "SecAggUnmasking");
    this.authenticate(message, "SecAggUnmasking", new Set(this.survivors));
    if (this.unmasked.has(message.trainer)) {
      throw new SecAggMessageError("unmasking sent twice", { trainer: message.trainer });
    }
    const record = (
      into: Map<Address, Map<Address, bigint>>,
      of: Address,
      share: string,
      allowed: readonly Address[],
    ) => {
      if (!allowed.includes(of) || (of !== message.trainer && !this.graph.areNeighbours(of, message.trainer))) {
        throw new SecAggMessageError("a share the coordinator did not ask for", { of, from: message.trainer });
      }
      const byRevealer = into.get(of) ?? new Map<Address, bigint>();
      byRevealer.set(message.trainer, bytesToBigInt(getBytes(share)));
      into.set(of, byRevealer);
    };
    for (const { of, share } of message.selfMaskShares) record(this.selfMaskShares, of, share, this.survivors);
    for (const { of, share } of message.keyShares) record(this.keyShares, of, share, this.dropped);
    this.unmasked.add(message.trainer);
  }

  /** Where the round stands: its stage and how many trainers answered each stage so far. */
  progress(): { stage: Stage; advertised: number; shared: number; masked: number; unmasked: number } {
    return {
      stage: this.stage,
      advertised: this.advertisements.size,
      shared: this.shares.size,
      masked: this.masked.size,
      unmasked: this.unmasked.size,
    };
  }

  /** Ends Unmasking: removes every mask and returns the survivors' sum. */
  finish(): SecAggResult {
    this.expect("unmask");
    const sum = new Uint32Array(this.context.length);
    for (const words of this.masked.values()) applyMask(sum, words, 1);
    for (const trainer of this.survivors) {
      const seed = bigIntToBytes(this.reconstruct(this.selfMaskShares, trainer, "self-mask seed"), 32);
      applyMask(sum, maskWords(seed, sum.length, "self"), -1);
    }
    const sharedKeys = new Set(this.shares.keys());
    for (const trainer of this.dropped) {
      const secretKey = bigIntToBytes(this.reconstruct(this.keyShares, trainer, "masking key"), 32);
      const advertised = (this.advertisements.get(trainer) as SecAggAdvertiseKeys).maskingKey;
      if (sha256(publicKeyOf(secretKey)) !== sha256(getBytes(advertised))) {
        throw new SecAggAbortedError("the shares of a dropped trainer's masking key do not reconstruct it", {
          trainer,
        });
      }
      for (const survivor of this.survivors) {
        if (!this.graph.areNeighbours(trainer, survivor) || !sharedKeys.has(survivor)) continue;
        const peerKey = getBytes((this.advertisements.get(survivor) as SecAggAdvertiseKeys).maskingKey);
        const seed = agreeKey(secretKey, peerKey, purposes.mask(this.context));
        // The survivor applied pairSign(survivor, trainer) · mask; take it off.
        applyMask(sum, maskWords(seed, sum.length, "pair"), pairSign(survivor, trainer) === 1 ? -1 : 1);
      }
    }
    this.stage = "done";
    return { sum, survivors: this.survivors, dropped: this.dropped };
  }

  private reconstruct(from: Map<Address, Map<Address, bigint>>, owner: Address, what: string): bigint {
    const revealed = [...(from.get(owner) ?? new Map<Address, bigint>())];
    if (revealed.length < this.context.threshold) {
      throw new SecAggAbortedError(
        `only ${revealed.length} shares of ${owner}'s ${what}, fewer than ${this.context.threshold}`,
        {
          trainer: owner,
        },
      );
    }
    const points: ShamirShare[] = revealed
      .slice(0, this.context.threshold)
      .map(([revealer, y]) => ({ x: this.graph.shareX(revealer), y }));
    return reconstructSecret(points);
  }

  private requireAtLeast(count: number, what: string): void {
    if (count < this.context.threshold) {
      throw new SecAggAbortedError(
        `only ${count} trainers ${what}, fewer than the threshold ${this.context.threshold}`,
      );
    }
  }
}
