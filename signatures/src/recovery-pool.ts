import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";
import { secp256k1 } from "./secp256k1.js";
import { bytesToHex, recoverAddress } from "./static-typed-data.js";

const require = createRequire(import.meta.url);

/** One request's bytes in a batch: the 32-byte digest, then the 65-byte `r ‖ s ‖ v` signature. */
const REQUEST_BYTES = 97;
/** One answer: a byte (1: recovered, 0: none), then the 20-byte address. */
const ANSWER_BYTES = 21;

/**
 * The worker's code, plain CommonJS evaluated in the worker (so it runs the same under tsx, vitest and the built
 * package): the `secp256k1` package's native binding and js-sha3, by the paths the parent resolved. For each request
 * of a batch: v must be 27 or 28, then the public key is recovered and its address is the last 20 bytes of
 * keccak256(x ‖ y), as `recoverAddress` computes it.
 */
const WORKER_CODE = `
const { parentPort, workerData } = require("node:worker_threads");
const binding = require(workerData.binding);
const sha3 = require(workerData.sha3);
parentPort.on("message", ({ id, requests }) => {
  const count = requests.byteLength / ${REQUEST_BYTES};
  const answers = new Uint8Array(count * ${ANSWER_BYTES});
  for (let index = 0; index < count; index++) {
    const at = index * ${REQUEST_BYTES};
    const v = requests[at + 96];
    if (v !== 27 && v !== 28) continue;
    let point;
    try {
      point = binding.ecdsaRecover(requests.subarray(at + 32, at + 96), v - 27, requests.subarray(at, at + 32), false);
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
  readonly digest: Uint8Array;
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
 * coordinator's largest single cost per update) leaves its event loop: requests made in one turn of the event loop go
 * to a worker as one message (97 bytes each) and come back as one (21 bytes each). The answers are those of
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

  #answerHere(waiting: Waiting): void {
    waiting.resolve(recoverAddress(waiting.digest, waiting.signature));
  }

  /** The address (lower case) that produced the 65-byte `r ‖ s ‖ v` signature over the 32-byte `digest`, or undefined. */
  recoverAddress(digest: Uint8Array, signature: Uint8Array): Promise<string | undefined> {
    if (this.#workers.length === 0 || digest.byteLength !== 32 || signature.byteLength !== 65) {
      return Promise.resolve(recoverAddress(digest, signature));
    }
    return new Promise((resolve) => {
      this.#queue.push({ digest, signature, resolve });
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
    const requests = new Uint8Array(batch.length * REQUEST_BYTES);
    batch.forEach(({ digest, signature }, index) => {
      requests.set(digest, index * REQUEST_BYTES);
      requests.set(signature, index * REQUEST_BYTES + 32);
    });
    const id = this.#nextId++;
    entry.inFlight.set(id, batch);
    entry.worker.postMessage({ id, requests }, [requests.buffer]);
  }

  /** Stops the workers; what they had not answered is answered here, and so is every later request. */
  async close(): Promise<void> {
    const workers = [...this.#workers];
    for (const entry of workers) this.#retire(entry);
    await Promise.all(workers.map((entry) => entry.worker.terminate()));
  }
}
