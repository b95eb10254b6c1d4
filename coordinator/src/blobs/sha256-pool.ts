import { createHash } from "node:crypto";
import { Worker } from "node:worker_threads";

/**
 * The worker's code, plain CommonJS evaluated in the worker (the same under tsx, vitest and the build): the SHA-256
 * of each buffer of a batch, by `node:crypto`, as 32 bytes each in one answer.
 */
const WORKER_CODE = `
const { parentPort } = require("node:worker_threads");
const { createHash } = require("node:crypto");
parentPort.on("message", ({ id, blobs }) => {
  const digests = new Uint8Array(32 * blobs.length);
  for (let index = 0; index < blobs.length; index++) {
    digests.set(createHash("sha256").update(blobs[index]).digest(), 32 * index);
  }
  parentPort.postMessage({ id, digests }, [digests.buffer]);
});
`;

interface Waiting {
  readonly bytes: Uint8Array;
  resolve(digest: Buffer): void;
}

interface PoolWorker {
  readonly worker: Worker;
  readonly inFlight: Map<number, Waiting[]>;
}

function sha256Here(bytes: Uint8Array): Buffer {
  return createHash("sha256").update(bytes).digest();
}

/**
 * SHA-256 of updates' bytes on worker threads, so that hashing every update (tens to hundreds of kilobytes each, a
 * thousand per round) leaves the event loop: the buffers asked for in one turn of the event loop are copied to a
 * worker in one message (one copy each: cheaper than hashing them) and their digests come back in one. The digests
 * are `node:crypto`'s. With no workers, after `close`, or when a worker fails, the digests are computed on the
 * calling thread instead (the same digests).
 */
export class Sha256Pool {
  readonly #workers: PoolWorker[] = [];
  #queue: Waiting[] = [];
  #scheduled = false;
  #nextId = 0;
  #next = 0;

  constructor(size: number) {
    for (let index = 0; index < size; index++) this.#start();
  }

  /** How many workers hash now. */
  get size(): number {
    return this.#workers.length;
  }

  #start(): void {
    const worker = new Worker(WORKER_CODE, { eval: true });
    // The pool never keeps a process alive by itself.
    worker.unref();
    const entry: PoolWorker = { worker, inFlight: new Map() };
    worker.on("message", ({ id, digests }: { id: number; digests: Uint8Array }) => {
      const batch = entry.inFlight.get(id);
      if (batch === undefined) return;
      entry.inFlight.delete(id);
      batch.forEach((waiting, index) => {
        waiting.resolve(Buffer.from(digests.buffer, digests.byteOffset + 32 * index, 32));
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
    for (const batch of entry.inFlight.values())
      for (const waiting of batch) waiting.resolve(sha256Here(waiting.bytes));
    entry.inFlight.clear();
  }

  /** The SHA-256 digest (32 bytes) of `bytes`, which the caller must not change until it resolves. */
  sha256(bytes: Uint8Array): Promise<Buffer> {
    if (this.#workers.length === 0) return Promise.resolve(sha256Here(bytes));
    return new Promise((resolve) => {
      this.#queue.push({ bytes, resolve });
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
      for (const waiting of batch) waiting.resolve(sha256Here(waiting.bytes));
      return;
    }
    // Each buffer copied to one of its own (a view may share a larger network buffer) and that copy moved over.
    // `Uint8Array`'s slice copies; a Buffer's own `slice` would not.
    const blobs = batch.map(({ bytes }) => Uint8Array.prototype.slice.call(bytes));
    const id = this.#nextId++;
    entry.inFlight.set(id, batch);
    entry.worker.postMessage(
      { id, blobs },
      blobs.map((blob) => blob.buffer),
    );
  }

  /** Stops the workers; what they had not answered is answered here, and so is every later request. */
  async close(): Promise<void> {
    const workers = [...this.#workers];
    for (const entry of workers) this.#retire(entry);
    await Promise.all(workers.map((entry) => entry.worker.terminate()));
  }
}
