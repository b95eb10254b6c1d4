/**
 * npm run bench:secagg — the per-round overhead of SecAgg+ against plain FedAvg, measured in the same run, for
 * 10/50/100 trainers × 100k/1M parameters. In process, one core: every trainer's client work (quantising and
 * weighting its update, the four protocol steps with their EIP-712 signatures and X25519/ChaCha20, masking, the
 * SHA-256 its update header signs) and the coordinator's server work (checking every stage message, relaying,
 * reconstructing the self-mask seeds, removing the masks, decoding the sum into the FedAvg delta), against the
 * plain round's work on the same vectors: the trainer's SHA-256 of its float32 bytes, the coordinator's SHA-256,
 * validation (length, finiteness) and FedAvg accumulation. What both rounds share (training, the update header's
 * signature and its check, the sockets, the database) is left out; no trainer drops (recovery costs the dropped
 * trainers' pairwise masks on top). 100 real agents do not fit this 2-core machine next to their coordinator, so
 * the protocol runs in process: the messages are the real ones, only the socket is missing (their bytes are
 * counted). Prints a table, then one JSON line.
 */
import { createHash } from "node:crypto";
import { createFedAvgAccumulator, validateUpdate } from "@tributary/aggregation";
import { type Address, type JobId, secAggScale, tributaryDomain, weightsToBytes } from "@tributary/protocol";
import { bytesToWords, quantise, SecAggClient, SecAggServer } from "@tributary/secure-aggregation";
import { keccak256, toUtf8Bytes, Wallet } from "ethers";
import { secAggAverageDelta } from "../src/rounds/secagg-average.js";

const TRAINERS = [10, 50, 100] as const;
const PARAMETERS = [100_000, 1_000_000] as const;
const CLIP = 0.5;

/** SecAgg+'s k = O(log n) (Bell et al. 2020): 2⌈log2 n⌉ neighbours, threshold k/2 + 1. */
function graphFor(n: number): { neighbours: number; threshold: number } {
  const neighbours = Math.min(2 * Math.ceil(Math.log2(n)), n - (n % 2 === 0 ? 2 : 1));
  return { neighbours, threshold: neighbours / 2 + 1 };
}

/** Deterministic uniform numbers in [−1, 1): the trainers' updates (their values do not change the cost). */
function update(length: number, seed: number): Float32Array {
  let state = seed >>> 0;
  const out = new Float32Array(length);
  for (let i = 0; i < length; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    out[i] = (state / 2 ** 31 - 1) * 0.1;
  }
  return out;
}

const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest();
const json = (value: unknown) => Buffer.byteLength(JSON.stringify(value));

interface Row {
  trainers: number;
  parameters: number;
  neighbours: number;
  threshold: number;
  plainClientMs: number;
  secAggClientMs: number;
  plainServerMs: number;
  secAggServerMs: number;
  clientOverhead: number;
  serverOverhead: number;
  /** Bytes each trainer sends / receives beyond its update, on average. */
  extraUpBytes: number;
  extraDownBytes: number;
}

async function measure(n: number, d: number, wallets: readonly Wallet[]): Promise<Row> {
  const { neighbours, threshold } = graphFor(n);
  const participants = wallets
    .slice(0, n)
    .map((wallet) => wallet.address.toLowerCase() as Address)
    .sort();
  const byAddress = new Map(wallets.map((wallet) => [wallet.address.toLowerCase(), wallet]));
  const context = {
    jobId: "1" as JobId,
    round: 0,
    domain: tributaryDomain(31_337, "0x00000000000000000000000000000000000000aa"),
    participants,
    threshold,
    neighbours,
    length: d,
  };
  const scale = secAggScale({ threshold, neighbours, quantisation: { clip: CLIP } }, n);
  const examples = participants.map((_, index) => 100 + index);
  const cap = Math.max(...examples);

  // Plain FedAvg on the same vectors.
  let plainClient = 0;
  let plainServer = 0;
  const accumulator = createFedAvgAccumulator(d);
  for (const [index] of participants.entries()) {
    const vector = update(d, index + 1);
    let started = performance.now();
    const bytes = weightsToBytes(vector);
    sha256(bytes);
    plainClient += performance.now() - started;
    started = performance.now();
    sha256(bytes);
    validateUpdate(new Float32Array(bytes.buffer, bytes.byteOffset, d), { length: d });
    accumulator.add(vector, examples[index] as number);
    plainServer += performance.now() - started;
  }
  const started = performance.now();
  accumulator.result();
  plainServer += performance.now() - started;

  // SecAgg+ on the same vectors.
  let client = 0;
  let server = 0;
  let up = 0;
  let down = 0;
  const timeClient = async <T>(run: () => Promise<T> | T): Promise<T> => {
    const at = performance.now();
    const result = await run();
    client += performance.now() - at;
    return result;
  };
  const timeServer = <T>(run: () => T): T => {
    const at = performance.now();
    const result = run();
    server += performance.now() - at;
    return result;
  };
  const secAgg = new SecAggServer(context);
  const clients = participants.map((trainer) => new SecAggClient(context, trainer, byAddress.get(trainer) as Wallet));
  for (const trainerClient of clients) {
    const message = await timeClient(() => trainerClient.advertiseKeys());
    up += json(message);
    timeServer(() => secAgg.receiveAdvertisement(message));
  }
  timeServer(() => secAgg.closeAdvertising());
  for (const [index, trainerClient] of clients.entries()) {
    const keys = timeServer(() => secAgg.neighbourKeysFor(participants[index] as Address));
    down += json(keys);
    const message = await timeClient(() => trainerClient.shareKeys(keys));
    up += json(message);
    timeServer(() => secAgg.receiveShares(message));
  }
  timeServer(() => secAgg.closeSharing());
  for (const [index, trainerClient] of clients.entries()) {
    const trainer = participants[index] as Address;
    const delivery = timeServer(() => secAgg.deliveryFor(trainer));
    down += json(delivery);
    const vector = update(d, index + 1);
    const bytes = await timeClient(async () => {
      const weight = (examples[index] as number) / cap;
      for (let i = 0; i < d; i++) vector[i] = Math.min(CLIP, Math.max(-CLIP, vector[i] as number)) * weight;
      const masked = await trainerClient.maskInput(delivery, quantise(vector, CLIP, scale));
      sha256(masked.bytes);
      return masked.bytes;
    });
    timeServer(() => {
      sha256(bytes);
      secAgg.acceptMaskedInput(trainer, bytesToWords(bytes));
    });
  }
  const request = timeServer(() => secAgg.closeMaskedInputs());
  for (const trainerClient of clients) {
    down += json(request);
    const message = await timeClient(() => trainerClient.unmask(request));
    up += json(message);
    timeServer(() => secAgg.receiveUnmasking(message));
  }
  timeServer(() => {
    const { sum } = secAgg.finish();
    secAggAverageDelta(
      sum,
      scale,
      cap,
      examples.reduce((total, count) => total + count, 0),
    );
  });

  return {
    trainers: n,
    parameters: d,
    neighbours,
    threshold,
    plainClientMs: plainClient / n,
    secAggClientMs: client / n,
    plainServerMs: plainServer,
    secAggServerMs: server,
    clientOverhead: client / plainClient,
    serverOverhead: server / plainServer,
    extraUpBytes: up / n,
    extraDownBytes: down / n,
  };
}

const fixed = (value: number, digits = 1) => value.toFixed(digits);

async function main(): Promise<void> {
  const wallets = Array.from(
    { length: Math.max(...TRAINERS) },
    (_, i) => new Wallet(keccak256(toUtf8Bytes(`bench-${i}`))),
  );
  const rows: Row[] = [];
  for (const d of PARAMETERS) {
    for (const n of TRAINERS) {
      const row = await measure(n, d, wallets);
      rows.push(row);
      process.stderr.write(`measured n=${n} d=${d}\n`);
    }
  }
  const header = [
    "trainers",
    "params",
    "k/t",
    "client plain ms",
    "client SecAgg ms",
    "×",
    "server plain ms",
    "server SecAgg ms",
    "×",
    "extra up KiB",
    "extra down KiB",
  ];
  const table = rows.map((row) => [
    String(row.trainers),
    row.parameters.toLocaleString("en-US"),
    `${row.neighbours}/${row.threshold}`,
    fixed(row.plainClientMs),
    fixed(row.secAggClientMs),
    fixed(row.clientOverhead),
    fixed(row.plainServerMs),
    fixed(row.secAggServerMs),
    fixed(row.serverOverhead),
    fixed(row.extraUpBytes / 1024),
    fixed(row.extraDownBytes / 1024),
  ]);
  const widths = header.map((title, column) =>
    Math.max(title.length, ...table.map((cells) => (cells[column] as string).length)),
  );
  const line = (cells: readonly string[]) =>
    cells.map((cell, column) => cell.padStart(widths[column] as number)).join("  ");
  console.log(line(header));
  for (const cells of table) console.log(line(cells));
  console.log(JSON.stringify({ bench: "secagg", mode: "in-process", rows }));
}

await main();
