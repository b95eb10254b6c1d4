import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";
import { secp256k1 } from "./secp256k1.js";
import { bytesToHex, recoverAddress, type StaticTypedData, typedDataDigest } from "./static-typed-data.js";

const require = createRequire(import.meta.url);

/**
 * One request's bytes in a batch: the struct encoding's length L (2 bytes, little-endian); then either (L = 0) the
 * 32-byte digest, or (L > 0) the 32-byte EIP-712 domain separator and the L-byte struct encoding to hash into the
 * digest; then the 65-byte `r ‖ s ‖ v` signature.
 */
const REQUEST_HEAD = 34;
const SIGNATURE_BYTES = 65;
/** One answer: a byte (1: recovered, 0: none), then the 20-byte address. */
const ANSWER_BYTES = 21;

/**
 * The worker's code, plain CommonJS evaluated in the worker (so it runs the same under tsx, vitest and the built
 * package): the `secp256k1` package's native binding and js-sha3, by the paths the parent resolved. For each request
 * of a batch: the digest (given, or keccak256(0x19 0x01 ‖ domain separator ‖ keccak256(struct)) as
 * `typedDataDigest` computes it), v must be 27 or 28, then the public key is recovered and its address is the last
 * 20 bytes of keccak256(x ‖ y), as `recoverAddress` computes it.
 */
const WORKER_CODE = `
const { parentPort, workerData } = require("node:worker_threads");
const binding = require(workerData.binding);
const sha3 = require(workerData.sha3);
const prefix = new Uint8Array(66);
prefix[0] = 0x19;
prefix[1] = 0x01;
parentPort.on("message", ({ id, count, requests }) => {
  const answers = new Uint8Array(count * ${ANSWER_BYTES});
  let at = 0;
  for (let index = 0; index < count; index++) {
    const length = requests[at] | (requests[at + 1] << 8);
    let digest = requests.subarray(at + 2, at + ${REQUEST_HEAD});
    if (length > 0) {
      prefix.set(digest, 2);
      prefix.set(new Uint8Array(sha3.keccak256.arrayBuffer(requests.subarray(at + ${REQUEST_HEAD}, at + ${REQUEST_HEAD} + length))), 34);
      digest = new Uint8Array(sha3.keccak256.arrayBuffer(prefix));
    }
    const signature = requests.subarray(at + ${REQUEST_HEAD} + length, at + ${REQUEST_HEAD} + length + ${SIGNATURE_BYTES});
    at += ${REQUEST_HEAD} + length + ${SIGNATURE_BYTES};
    const v = signature[64];
    if (v !== 27 && v !== 28) continue;
    let point;
    try {
      point = binding.ecdsaRecover(signature.subarray(0, 64), v - 27, digest, false);
    } catch {
      continue;
    }
    const hash = new Uint8Array(sha3.keccak256.arrayBuffer(point.subarray(1)));
    answers[index * ${ANSWER_BYTES}] = 1;
    answers.set(hash.subarray(12), index * ${ANSWER_BYTES} + 1);
  }
  parentPort.postMessage({ id, answers }, [answers.buffer]);
});
`;

interface Waiting {
  /** The digest (no struct), or the domain separator (with a struct encoding to hash into the digest). */
  readonly digest: Uint8Array;
  readonly struct: Uint8Array | undefined;
  readonly signature: Uint8Array;
  resolve(address: string | undefined): void;
}

interface PoolWorker {
  readonly worker: Worker;
  /** Batches sent and not answered yet, by id. */
  readonly inFlight: Map<number, Waiting[]>;
}

/**
 * libsecp256k1 recovery (`recoverAddress`) on worker threads, so that recovering the signer of every update (the
 * coordinator's largest single cost per update) leaves its event loop, with the EIP-712 digest's hashing too
 * (`recoverTypedAddress`): requests made in one turn of the event loop go to a worker as one message (99 bytes each,
 * plus the struct encoding) and come back as one (21 bytes each). The answers are those of
 * `recoverAddress` with the native build. Where the native build does not load, or a worker fails, or after
 * `close`, requests are answered on the calling thread instead (the same answers, only not off the event loop).
 */
export class RecoveryPool {
  readonly #workers: PoolWorker[] = [];
  #queue: Waiting[] = [];
  #scheduled = false;
  #nextId = 0;
  #next = 0;

  /** A pool of `size` workers (none: every request is answered on the calling thread). */
  constructor(size: number) {
    if (secp256k1.name !== "native") return;
    for (let index = 0; index < size; index++) this.#start();
  }

  /** How many workers answer requests now. */
  get size(): number {
    return this.#workers.length;
  }

  #start(): void {
    const worker = new Worker(WORKER_CODE, {
      eval: true,
      workerData: { binding: require.resolve("secp256k1/bindings"), sha3: require.resolve("js-sha3") },
    });
    // The pool never keeps a process alive by itself.
    worker.unref();
    const entry: PoolWorker = { worker, inFlight: new Map() };
    worker.on("message", ({ id, answers }: { id: number; answers: Uint8Array }) => {
      const batch = entry.inFlight.get(id);
      if (batch === undefined) return;
      entry.inFlight.delete(id);
      batch.forEach((waiting, index) => {
        const at = index * ANSWER_BYTES;
        waiting.resolve(answers[at] === 1 ? bytesToHex(answers.subarray(at + 1, at + ANSWER_BYTES)) : undefined);
      });
    });
    const fail = () => this.#retire(entry);
    worker.on("error", fail);
    worker.on("exit", fail);
    this.#workers.push(entry);
  }

  /** A worker that failed or exited: its unanswered requests are answered here, and it gets no more. */
  #retire(entry: PoolWorker): void {
    const at = this.#workers.indexOf(entry);
    if (at >= 0) this.#workers.splice(at, 1);
    for (const batch of entry.inFlight.values()) for (const waiting of batch) this.#answerHere(waiting);
    entry.inFlight.clear();
  }

  #answerHere({ digest, struct, signature, resolve }: Waiting): void {
    resolve(recoverAddress(struct === undefined ? digest : typedDataDigest(digest, struct), signature));
  }

  /** The address (lower case) that produced the 65-byte `r ‖ s ‖ v` signature over the 32-byte `digest`, or undefined. */
  recoverAddress(digest: Uint8Array, signature: Uint8Array): Promise<string | undefined> {
    if (this.#workers.length === 0 || digest.byteLength !== 32 || signature.byteLength !== 65) {
      return Promise.resolve(recoverAddress(digest, signature));
    }
    return this.#enqueue(digest, undefined, signature);
  }

  /**
   * The address (lower case) that produced the 65-byte `r ‖ s ‖ v` signature over the EIP-712 digest of a `typed`
   * value given as its fields' 32-byte words, or undefined: `recoverAddress(typed.digest(words), signature)`, with
   * the digest's two keccak256 computed on the worker too.
   */
  recoverTypedAddress(
    typed: StaticTypedData,
    words: readonly Uint8Array[],
    signature: Uint8Array,
  ): Promise<string | undefined> {
    const struct = typed.encode(words);
    if (this.#workers.length === 0 || signature.byteLength !== SIGNATURE_BYTES || struct.byteLength > 0xffff) {
      return Promise.resolve(recoverAddress(typedDataDigest(typed.domainSeparator, struct), signature));
    }
    return this.#enqueue(typed.domainSeparator, struct, signature);
  }

  #enqueue(digest: Uint8Array, struct: Uint8Array | undefined, signature: Uint8Array): Promise<string | undefined> {
    return new Promise((resolve) => {
      this.#queue.push({ digest, struct, signature, resolve });
      if (!this.#scheduled) {
        this.#scheduled = true;
        setImmediate(() => this.#flush());
      }
    });
  }

  #flush(): void {
    this.#scheduled = false;
    const batch = this.#queue;
    this.#queue = [];
    if (batch.length === 0) return;
    const entry = this.#workers[this.#next++ % Math.max(1, this.#workers.length)];
    if (entry === undefined) {
      for (const waiting of batch) this.#answerHere(waiting);
      return;
    }
    let size = 0;
    for (const { struct } of batch) size += REQUEST_HEAD + (struct?.byteLength ?? 0) + SIGNATURE_BYTES;
    const requests = new Uint8Array(size);
    let at = 0;
    for (const { digest, struct, signature } of batch) {
      const length = struct?.byteLength ?? 0;
      requests[at] = length & 0xff;
      requests[at + 1] = length >> 8;
      requests.set(digest, at + 2);
      if (struct !== undefined) requests.set(struct, at + REQUEST_HEAD);
      requests.set(signature, at + REQUEST_HEAD + length);
      at += REQUEST_HEAD + length + SIGNATURE_BYTES;
    }
    const id = this.#nextId++;
    entry.inFlight.set(id, batch);
    entry.worker.postMessage({ id, count: batch.length, requests }, [requests.buffer]);
  }

  /** Stops the workers; what they had not answered is answered here, and so is every later request. */
  async close(): Promise<void> {
    const workers = [...this.#workers];
    for (const entry of workers) this.#retire(entry);
    await Promise.all(workers.map((entry) => entry.worker.terminate()));
  }
}
