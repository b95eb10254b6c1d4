/**
 * The trainer-fleet child process of `bench:coordinator`: hosts every client socket (ScriptedTrainers for the
 * coordinator, plain socket.io clients for the raw baseline) and obeys the parent's `FleetCommand`s.
 */
import { randomBytes } from "node:crypto";
import { type EventLoopUtilization, performance } from "node:perf_hooks";
import {
  type Bytes32,
  type DatasetId,
  type JobId,
  type ModelUpdateHeader,
  type SignedModelUpdate,
  SOCKET_EVENTS,
  type TrainInstruction,
} from "@tributary/protocol";
import { signDigest } from "@tributary/signatures";
import { getBytes, Wallet } from "ethers";
import { io, type Socket } from "socket.io-client";
import { ModelUpdateSigner } from "../src/rounds/model-update-signer.js";
import { ok, signInAs } from "../test-support/rest.js";
import { ScriptedTrainer } from "../test-support/scripted-trainer.js";
import { testManifest } from "../test-support/test-manifest.js";
import { type FleetCommand, type FleetReply, type FleetRoundStats, wallClockMs } from "./fleet-messages.js";
import { type SyntheticUpdate, syntheticUpdates } from "./synthetic-updates.js";

/** Connections and logins opened at once while setting up. */
const SETUP_CONCURRENCY = 50;

let trainers: ScriptedTrainer[] = [];
let rawClients: Socket[] = [];
/** This process's raw clients' global indices. */
let rawIndices: readonly number[] = [];
/** Raw clients' precomputed updates per scenario (`<trainers>x<params>`), by global client index. */
const rawUpdates = new Map<string, Map<number, SyntheticUpdate[]>>();
let mark: EventLoopUtilization = performance.eventLoopUtilization();

const reply = (message: FleetReply) => process.send?.(message);

async function inBatches<T>(count: number, task: (index: number) => Promise<T>): Promise<T[]> {
  const results: T[] = [];
  for (let start = 0; start < count; start += SETUP_CONCURRENCY) {
    const end = Math.min(count, start + SETUP_CONCURRENCY);
    results.push(...(await Promise.all(Array.from({ length: end - start }, (_, offset) => task(start + offset)))));
  }
  return results;
}

async function connectTrainers(urls: readonly string[], count: number): Promise<string[]> {
  const started = wallClockMs();
  const urlOf = (index: number) => urls[index % urls.length] as string;
  // Raw private keys: `Wallet.createRandom()` derives from a mnemonic (PBKDF2), far too slow for 1,000.
  const wallets = Array.from({ length: count }, () => new Wallet(`0x${randomBytes(32).toString("hex")}`));
  const datasets = await inBatches(count, async (index) =>
    ok<{ id: DatasetId }>(
      urlOf(index),
      "POST",
      "/datasets",
      {
        owner: (wallets[index] as Wallet).address,
        name: `bench shard ${index}`,
        commitment: testManifest(100, `bench shard ${index}`).commitment,
        recordCount: 100,
        epsilonBudget: 8,
        deltaBudget: 1e-5,
      },
      await signInAs(urlOf(index), wallets[index] as Wallet),
    ),
  );
  const enrolled = wallClockMs();
  trainers = await inBatches(count, (index) =>
    ScriptedTrainer.connect(urlOf(index), wallets[index] as Wallet, (datasets[index] as { id: DatasetId }).id, {
      manifest: testManifest(100, `bench shard ${index}`).manifest,
    }),
  );
  process.stderr.write(
    `  fleet: ${count} datasets enrolled in ${((enrolled - started) / 1000).toFixed(1)} s, trainers logged in in ${((wallClockMs() - enrolled) / 1000).toFixed(1)} s\n`,
  );
  return trainers.map((trainer) => trainer.datasetId);
}

/** Answers every training instruction the moment it arrives: only the EIP-712 signature is computed then. */
async function runJob(jobId: JobId, count: number, params: number, rounds: number): Promise<FleetRoundStats[]> {
  const preparing = wallClockMs();
  const updates = syntheticUpdates(count, rounds, params);
  process.stderr.write(
    `  fleet: ${count * rounds} updates prepared in ${((wallClockMs() - preparing) / 1000).toFixed(1)} s\n`,
  );
  const selected = trainers.slice(0, count);
  const stats = Array.from({ length: rounds }, (_, round) => ({
    round,
    firstInstructionAt: Number.POSITIVE_INFINITY,
    lastInstructionAt: 0,
    lastSentAt: 0,
    lastAckAt: 0,
    signMs: 0,
    accepted: 0,
    rejections: [] as string[],
    firstElu: undefined as EventLoopUtilization | undefined,
    lastElu: undefined as EventLoopUtilization | undefined,
  }));
  const signer = new FastSigner();
  const work = selected.map(async (trainer, index) => {
    const answered = new Set<number>();
    while (answered.size < rounds) {
      const next = await trainer.next(120_000);
      const arrived = wallClockMs();
      // Left over from an earlier job (its evaluation), or a resent instruction already answered: not ours.
      if (next.kind !== "train" || next.instruction.jobId !== jobId || answered.has(next.instruction.round)) continue;
      const instruction: TrainInstruction = next.instruction;
      const row = stats[instruction.round];
      if (row === undefined) throw new Error(`unexpected round ${instruction.round}`);
      answered.add(instruction.round);
      if (arrived < row.firstInstructionAt) row.firstElu = performance.eventLoopUtilization();
      row.firstInstructionAt = Math.min(row.firstInstructionAt, arrived);
      row.lastInstructionAt = Math.max(row.lastInstructionAt, arrived);
      const update = updates[index]?.[instruction.round] as SyntheticUpdate;
      const signed = signer.sign(trainer, {
        jobId: instruction.jobId,
        round: instruction.round,
        trainer: trainer.address,
        datasetId: trainer.datasetId,
        // At most the 100 records each shard's manifest commits to (the coordinator refuses more).
        numExamples: 51 + (index % 50),
        updateHash: update.updateHash,
        metrics: {},
        epsilonSpent: null,
        delta: 0,
        nonce: instruction.nonce,
      });
      const sent = wallClockMs();
      row.signMs += sent - arrived;
      row.lastSentAt = Math.max(row.lastSentAt, sent);
      const ack = await trainer.send(signed, update.bytes);
      row.lastAckAt = Math.max(row.lastAckAt, wallClockMs());
      row.lastElu = performance.eventLoopUtilization();
      if (ack.ok) row.accepted++;
      else row.rejections.push(`${ack.code}: ${ack.message}`);
    }
  });
  // Attached now, awaited after the joins: a trainer failing early is reported, not an unhandled rejection.
  const all = Promise.all(work);
  all.catch(() => undefined);
  // Join only once every update is prepared: the round opens as soon as the last selected trainer is admitted.
  const joining = wallClockMs();
  await inBatches(count, async (index) => {
    const ack = await (selected[index] as ScriptedTrainer).join(jobId);
    if (!ack.ok) throw new Error(`join refused: ${ack.code}: ${ack.message}`);
  });
  process.stderr.write(`  fleet: ${count} trainers joined in ${((wallClockMs() - joining) / 1000).toFixed(1)} s\n`);
  await all;
  return stats.map(({ firstElu, lastElu, ...row }) => ({
    ...row,
    utilisation:
      firstElu === undefined || lastElu === undefined
        ? 0
        : performance.eventLoopUtilization(lastElu, firstElu).utilization,
  }));
}

/**
 * Signs `ModelUpdate` headers as ethers' `signTypedData` would (RFC 6979, low s: the same bytes), about 30× faster:
 * the coordinator's own digest (`ModelUpdateSigner`), libsecp256k1 to sign. The fleet must not be what limits the
 * measured round.
 */
class FastSigner {
  readonly #digests = new Map<string, ModelUpdateSigner>();
  /** Each trainer's private key as bytes, parsed once. */
  readonly #keys = new WeakMap<ScriptedTrainer, Uint8Array>();

  sign(trainer: ScriptedTrainer, header: ModelUpdateHeader): SignedModelUpdate {
    const key = `${trainer.hello.chainId}:${trainer.hello.verifyingContract}`;
    let digests = this.#digests.get(key);
    if (digests === undefined) {
      digests = new ModelUpdateSigner(trainer.hello.chainId, trainer.hello.verifyingContract);
      this.#digests.set(key, digests);
    }
    const digest = digests.digest(header);
    if (digest === undefined) throw new RangeError("a header value is out of its field's range");
    let privateKey = this.#keys.get(trainer);
    if (privateKey === undefined) {
      privateKey = getBytes(trainer.wallet.privateKey);
      this.#keys.set(trainer, privateKey);
    }
    return { ...header, signature: signDigest(digest, privateKey) };
  }
}

async function connectRaw(url: string, indices: readonly number[]): Promise<void> {
  rawIndices = indices;
  rawClients = await inBatches(
    indices.length,
    (position) =>
      new Promise<Socket>((resolve, reject) => {
        const index = indices[position] as number;
        const socket = io(url, { transports: ["websocket"], reconnection: false, auth: { index } });
        socket.once("connect", () => resolve(socket));
        socket.once("connect_error", reject);
        // Same shape and size as a signed update header; the raw server checks nothing.
        const header = {
          jobId: "1",
          round: 0,
          trainer: `0x${randomBytes(20).toString("hex")}`,
          datasetId: String(index + 1),
          numExamples: 100 + index,
          updateHash: "",
          metrics: {},
          epsilonSpent: null,
          delta: 0,
          nonce: "",
          signature: `0x${randomBytes(65).toString("hex")}`,
        };
        socket.on(SOCKET_EVENTS.instruction, (instruction: { scenario: string; round: number; nonce: Bytes32 }) => {
          const update = rawUpdates.get(instruction.scenario)?.get(index)?.[instruction.round] as SyntheticUpdate;
          const bytes = update.bytes;
          void socket.emitWithAck(
            SOCKET_EVENTS.update,
            { ...header, round: instruction.round, updateHash: update.updateHash, nonce: instruction.nonce },
            Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength),
          );
        });
      }),
  );
}

async function handle(command: FleetCommand): Promise<FleetReply> {
  switch (command.type) {
    case "connect-trainers":
      return { type: "ok", id: command.id, datasetIds: await connectTrainers(command.urls, command.count) };
    case "run-job":
      return {
        type: "job-done",
        id: command.id,
        rounds: await runJob(command.jobId as JobId, command.trainers, command.params, command.rounds),
      };
    case "connect-raw":
      await connectRaw(command.url, command.indices);
      return { type: "ok", id: command.id };
    case "prepare-raw": {
      const mine = rawIndices.filter((index) => index < command.trainers);
      const updates = syntheticUpdates(mine.length, command.rounds, command.params);
      rawUpdates.set(
        `${command.trainers}x${command.params}`,
        new Map(mine.map((index, position) => [index, updates[position] as SyntheticUpdate[]])),
      );
      return { type: "ok", id: command.id };
    }
    case "utilisation": {
      const now = performance.eventLoopUtilization();
      const utilisation = performance.eventLoopUtilization(now, mark).utilization;
      mark = now;
      return { type: "ok", id: command.id, utilisation };
    }
    case "disconnect-trainers":
      for (const trainer of trainers) trainer.close();
      trainers = [];
      return { type: "ok", id: command.id };
    case "disconnect":
      for (const trainer of trainers) trainer.close();
      for (const socket of rawClients) socket.disconnect();
      trainers = [];
      rawClients = [];
      rawUpdates.clear();
      return { type: "ok", id: command.id };
  }
}

process.on("message", (command: FleetCommand) => {
  handle(command).then(reply, (error: Error) =>
    reply({ type: "error", id: command.id, message: error.stack ?? error.message }),
  );
});
process.on("disconnect", () => process.exit(0));
