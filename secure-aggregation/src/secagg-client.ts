import {
  type Address,
  parseInput,
  recoverSecAggSigner,
  type SecAggAdvertiseKeys,
  type SecAggMaskedInput,
  type SecAggNeighbourKeys,
  SecAggNeighbourKeysSchema,
  type SecAggRevealedShare,
  type SecAggShareKeys,
  type SecAggSharesDelivery,
  SecAggSharesDeliverySchema,
  type SecAggUnmasking,
  type SecAggUnmaskRequest,
  SecAggUnmaskRequestSchema,
  signSecAggMessage,
  type TypedDataSigner,
} from "@tributary/protocol";
import { getBytes, hexlify, sha256 } from "ethers";
import type { CommunicationGraph } from "./communication-graph.js";
import { SecAggRefusedError } from "./errors.js";
import { agreeKey, generateKeyPair, openShares, sealShares, type X25519KeyPair } from "./key-agreement.js";
import { applyMask, maskWords, wordsToBytes } from "./mask-stream.js";
import { type RandomBytes, secureRandomBytes } from "./random-bytes.js";
import { pairSign, purposes, roundGraph, type SecAggRoundContext } from "./secagg-round.js";
import { bigIntToBytes, bytesToBigInt, SHARE_BYTES, splitSecret } from "./shamir.js";

type Stage = "advertise" | "share" | "mask" | "unmask" | "done";

interface Neighbour {
  readonly encryptionKey: Uint8Array;
  readonly maskingKey: Uint8Array;
}

/** The two shares a neighbour sent: of its self-mask seed b and of its masking secret key s. */
interface HeldShares {
  readonly selfMask: bigint;
  readonly maskingKey: bigint;
}

/**
 * A trainer's side of one SecAgg+ round, as a state machine: each step takes the coordinator's last message and
 * returns the trainer's signed answer, or throws `SecAggRefusedError` when answering would break the protocol.
 * It checks every neighbour's key advertisement against the neighbour's signature, never reveals both secrets
 * of one neighbour (over all unmasking requests it answers), and refuses to go on with fewer than `threshold`
 * neighbours. It does no I/O: the caller carries the messages.
 */
export class SecAggClient {
  private stage: Stage = "advertise";
  private readonly graph: CommunicationGraph;
  private readonly encryption: X25519KeyPair;
  private readonly masking: X25519KeyPair;
  private readonly neighbours = new Map<Address, Neighbour>();
  private readonly held = new Map<Address, HeldShares>();
  private selfSeed: Uint8Array | undefined;
  /** Which secret of each neighbour this trainer revealed. */
  private readonly revealed = new Map<Address, "self-mask" | "masking-key">();

  constructor(
    private readonly context: SecAggRoundContext,
    private readonly trainer: Address,
    private readonly signer: TypedDataSigner,
    private readonly randomBytes: RandomBytes = secureRandomBytes,
  ) {
    this.graph = roundGraph(context);
    if (!this.graph.isParticipant(trainer))
      throw new SecAggRefusedError("this trainer is not a participant of the round");
    this.encryption = generateKeyPair(randomBytes);
    this.masking = generateKeyPair(randomBytes);
  }

  private header<S extends string>(stage: S) {
    return { jobId: this.context.jobId, round: this.context.round, trainer: this.trainer, stage };
  }

  private expect(stage: Stage): void {
    if (this.stage !== stage) throw new SecAggRefusedError(`expected the ${stage} step, the round is at ${this.stage}`);
  }

  private checkRound(message: { jobId: string; round: number }): void {
    if (message.jobId !== this.context.jobId || message.round !== this.context.round) {
      throw new SecAggRefusedError("message of another job or round", { jobId: message.jobId, round: message.round });
    }
  }

  /** Round 0: the two fresh public keys, signed. */
  async advertiseKeys(): Promise<SecAggAdvertiseKeys> {
    this.expect("advertise");
    this.stage = "share";
    return signSecAggMessage<SecAggAdvertiseKeys>(this.signer, this.context.domain, {
      ...this.header("advertise-keys"),
      encryptionKey: hexlify(this.encryption.publicKey) as `0x${string}`,
      maskingKey: hexlify(this.masking.publicKey) as `0x${string}`,
    });
  }

  /** Round 1: checks the neighbours' signed keys, then sends each neighbour its encrypted shares. */
  async shareKeys(input: SecAggNeighbourKeys): Promise<SecAggShareKeys> {
    this.expect("share");
    const message = parseInput(SecAggNeighbourKeysSchema, input, "SecAggNeighbourKeys");
    this.checkRound(message);
    const seen = new Set<string>([hexlify(this.encryption.publicKey), hexlify(this.masking.publicKey)]);
    message.advertisements.forEach((advertisement, index) => {
      const path = `SecAggNeighbourKeys.advertisements[${index}]`;
      this.checkRound(advertisement);
      const peer = advertisement.trainer;
      if (peer === this.trainer || !this.graph.areNeighbours(this.trainer, peer)) {
        throw new SecAggRefusedError("keys of a trainer that is not a neighbour", { peer });
      }
      if (this.neighbours.has(peer)) throw new SecAggRefusedError("two advertisements of one neighbour", { peer });
      if (recoverSecAggSigner(this.context.domain, advertisement, `${path}.signature`) !== peer) {
        throw new SecAggRefusedError("a neighbour's keys are not signed by the neighbour", { peer });
      }
      for (const key of [advertisement.encryptionKey, advertisement.maskingKey]) {
        if (seen.has(key)) throw new SecAggRefusedError("a public key advertised twice", { peer });
        seen.add(key);
      }
      this.neighbours.set(peer, {
        encryptionKey: getBytes(advertisement.encryptionKey),
        maskingKey: getBytes(advertisement.maskingKey),
      });
    });
    this.requireHolders(this.neighbours.size + 1, "with advertised keys");
    this.selfSeed = this.randomBytes(32);
    // Each secret is shared with the neighbours and with the trainer itself (Bonawitz et al. share with all n),
    // so a survivor's own share counts towards its t and a round with exactly t survivors still finishes.
    const recipients = [...this.neighbours.keys()];
    const xs = [...recipients, this.trainer].map((peer) => this.graph.shareX(peer));
    const { threshold } = this.context;
    const selfShares = splitSecret(bytesToBigInt(this.selfSeed), threshold, xs, this.randomBytes);
    const keyShares = splitSecret(bytesToBigInt(this.masking.secretKey), threshold, xs, this.randomBytes);
    const y = (shares: readonly { y: bigint }[], index: number) => (shares[index] as { y: bigint }).y;
    this.held.set(this.trainer, {
      selfMask: y(selfShares, recipients.length),
      maskingKey: y(keyShares, recipients.length),
    });
    const ciphertexts = recipients.map((to, index) => {
      const plaintext = new Uint8Array(2 * SHARE_BYTES);
      plaintext.set(bigIntToBytes(y(selfShares, index), SHARE_BYTES));
      plaintext.set(bigIntToBytes(y(keyShares, index), SHARE_BYTES), SHARE_BYTES);
      const peer = this.neighbours.get(to) as Neighbour;
      const key = agreeKey(this.encryption.secretKey, peer.encryptionKey, purposes.shares(this.context));
      const aad = purposes.aad(this.context, this.trainer, to);
      return { to, ciphertext: sealShares(key, plaintext, aad, this.randomBytes) };
    });
    this.stage = "mask";
    return signSecAggMessage<SecAggShareKeys>(this.signer, this.context.domain, {
      ...this.header("share-keys"),
      ciphertexts: ciphertexts as SecAggShareKeys["ciphertexts"],
    });
  }

  /**
   * Round 2: opens the shares its neighbours sent, then masks `input` (quantised words, `context.length` of them)
   * with its self mask and a pairwise mask for every neighbour whose shares arrived. Returns the signed header
   * and the masked words' bytes.
   */
  async maskInput(
    input: SecAggSharesDelivery,
    words: Uint32Array,
  ): Promise<{ message: SecAggMaskedInput; bytes: Uint8Array }> {
    this.expect("mask");
    const delivery = parseInput(SecAggSharesDeliverySchema, input, "SecAggSharesDelivery");
    this.checkRound(delivery);
    if (words.length !== this.context.length) {
      throw new SecAggRefusedError(`the input has ${words.length} words, the round ${this.context.length}`);
    }
    for (const { from, ciphertext } of delivery.ciphertexts) {
      const neighbour = this.neighbours.get(from);
      if (neighbour === undefined || this.held.has(from)) {
        throw new SecAggRefusedError("shares from a trainer that is not a neighbour, or twice", { from });
      }
      const key = agreeKey(this.encryption.secretKey, neighbour.encryptionKey, purposes.shares(this.context));
      let plaintext: Uint8Array;
      try {
        plaintext = openShares(key, ciphertext, purposes.aad(this.context, from, this.trainer));
      } catch {
        throw new SecAggRefusedError("shares that do not open under the neighbour's key", { from });
      }
      if (plaintext.length !== 2 * SHARE_BYTES) throw new SecAggRefusedError("shares of the wrong size", { from });
      this.held.set(from, {
        selfMask: bytesToBigInt(plaintext.subarray(0, SHARE_BYTES)),
        maskingKey: bytesToBigInt(plaintext.subarray(SHARE_BYTES)),
      });
    }
    this.requireHolders(this.held.size, "that shared their keys");
    const masked = Uint32Array.from(words);
    applyMask(masked, maskWords(this.selfSeed as Uint8Array, masked.length, "self"), 1);
    for (const peer of this.held.keys()) {
      if (peer === this.trainer) continue;
      const seed = agreeKey(
        this.masking.secretKey,
        (this.neighbours.get(peer) as Neighbour).maskingKey,
        purposes.mask(this.context),
      );
      applyMask(masked, maskWords(seed, masked.length, "pair"), pairSign(this.trainer, peer));
    }
    const bytes = wordsToBytes(masked);
    this.stage = "unmask";
    const message = await signSecAggMessage<SecAggMaskedInput>(this.signer, this.context.domain, {
      ...this.header("masked-input"),
      length: masked.length,
      maskedHash: sha256(bytes) as `0x${string}`,
    });
    return { message, bytes };
  }

  /**
   * Round 3: reveals, for each neighbour that shared with it, the share of its self-mask seed if the coordinator
   * lists it as a survivor, or of its masking key if it lists it as dropped, and refuses a request that names a
   * neighbour in both lists or asks for the other secret of a neighbour it already answered for.
   */
  async unmask(input: SecAggUnmaskRequest): Promise<SecAggUnmasking> {
    if (this.stage !== "unmask" && this.stage !== "done") this.expect("unmask");
    const request = parseInput(SecAggUnmaskRequestSchema, input, "SecAggUnmaskRequest");
    this.checkRound(request);
    const survivors = new Set(request.survivors);
    for (const peer of request.dropped) {
      if (survivors.has(peer)) {
        throw new SecAggRefusedError("the coordinator asks for both secrets of one trainer", { peer });
      }
    }
    if (!survivors.has(this.trainer))
      throw new SecAggRefusedError("this trainer's masked input is not among the survivors");
    const surviving = [...this.held.keys()].filter((peer) => survivors.has(peer)).length;
    this.requireHolders(surviving, "that survived");
    const wanted: Array<[Address, "self-mask" | "masking-key"]> = [
      ...request.survivors.map((peer) => [peer, "self-mask"] as [Address, "self-mask"]),
      ...request.dropped.map((peer) => [peer, "masking-key"] as [Address, "masking-key"]),
    ];
    for (const [peer, secret] of wanted) {
      const before = this.revealed.get(peer);
      if (before !== undefined && before !== secret) {
        throw new SecAggRefusedError(
          `the coordinator asks for the ${secret} share of a trainer whose ${before} share this trainer revealed`,
          { peer },
        );
      }
    }
    const selfMaskShares: SecAggRevealedShare[] = [];
    const keyShares: SecAggRevealedShare[] = [];
    for (const [peer, secret] of wanted) {
      const held = this.held.get(peer);
      if (held === undefined) continue;
      this.revealed.set(peer, secret);
      const y = secret === "self-mask" ? held.selfMask : held.maskingKey;
      (secret === "self-mask" ? selfMaskShares : keyShares).push({
        of: peer,
        share: hexlify(bigIntToBytes(y, SHARE_BYTES)) as `0x${string}`,
      });
    }
    this.stage = "done";
    return signSecAggMessage<SecAggUnmasking>(this.signer, this.context.domain, {
      ...this.header("unmasking"),
      selfMaskShares,
      keyShares,
    });
  }

  /** Refuses to go on when fewer than t holders of shares (neighbours and this trainer) are left. */
  private requireHolders(count: number, what: string): void {
    if (count < this.context.threshold) {
      throw new SecAggRefusedError(
        `only ${count} share holders (this trainer and its neighbours) ${what}, fewer than the threshold ${this.context.threshold}`,
      );
    }
  }
}
