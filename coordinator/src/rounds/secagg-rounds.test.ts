import { createHash } from "node:crypto";
import {
  type Ack,
  type Bytes32,
  bytesToWeights,
  type DatasetId,
  type JobId,
  type ModelUpdateHeader,
  type SecAggNeighbourKeys,
  type SecAggSharesDelivery,
  type SecAggUnmaskRequest,
  SOCKET_EVENTS,
  signModelUpdate,
  signSecAggMessage,
  type TrainInstruction,
  tributaryDomain,
} from "@tributary/protocol";
import { quantise, SecAggClient } from "@tributary/secure-aggregation";
import { Wallet } from "ethers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DATABASES, type TestDatabase } from "../../test-support/databases.js";
import { downloadModel, ok, signInAs, until } from "../../test-support/rest.js";
import { ScriptedTrainer } from "../../test-support/scripted-trainer.js";
import { testManifest } from "../../test-support/test-manifest.js";
import { type Coordinator, createCoordinator } from "../create-coordinator.js";

/**
 * The coordinator's side of SecAgg+ rounds, driven by scripted trainers that run the protocol's client: who may send
 * which stage message (the signed-in trainer, for itself, in a round that runs SecAgg here), a plain update refused
 * in a SecAgg round, and a complete round whose model is the FedAvg of the inputs (computed here in float64).
 */
const EXAMPLES = [100, 300, 600] as const;
const PARAMS = 10;
const CLIP = 0.2;

function delta(index: number): Float32Array {
  return Float32Array.from({ length: PARAMS }, (_, i) => Math.sin(index * 5 + i) / 4);
}

/** Waits for the next event `event` on a scripted trainer's socket. */
function next<T>(trainer: ScriptedTrainer, event: string): Promise<T> {
  return new Promise((resolve) => trainer.socket.once(event, (payload: T) => resolve(payload)));
}

describe.each(DATABASES)("SecAgg rounds on $name", (database) => {
  let db: TestDatabase;
  let coordinator: Coordinator;

  beforeAll(async () => {
    db = await database.setup();
    coordinator = await createCoordinator(
      { port: 0, dataDir: db.dataDir, ...db.config, tickSeconds: 0.2 },
      { logger: false },
    );
  });

  afterAll(async () => {
    await coordinator.close();
    await db.cleanup();
  });

  it("takes each stage only from its own trainer, refuses a plain update, and aggregates the unmasked sum as FedAvg", async () => {
    const url = coordinator.url;
    const owners = EXAMPLES.map(() => Wallet.createRandom() as unknown as Wallet);
    const trainers: ScriptedTrainer[] = [];
    const datasets: DatasetId[] = [];
    for (const [index, owner] of owners.entries()) {
      const { manifest, commitment } = testManifest(EXAMPLES[index] as number, `secagg ${owner.address}`);
      const dataset = await ok<{ id: DatasetId }>(
        url,
        "POST",
        "/datasets",
        {
          owner: owner.address.toLowerCase(),
          name: `secagg ${index}`,
          commitment,
          recordCount: EXAMPLES[index],
          epsilonBudget: 8,
          deltaBudget: 1e-5,
        },
        await signInAs(url, owner),
      );
      datasets.push(dataset.id);
      trainers.push(await ScriptedTrainer.connect(url, owner, dataset.id, { manifest }));
    }
    const job = await ok<{ id: JobId; modelCid: string }>(
      url,
      "POST",
      "/jobs",
      {
        name: "secagg",
        model: { inputShape: [4], layers: [{ type: "dense", units: 2 }], loss: "meanSquaredError" },
        datasetIds: datasets,
        rounds: 1,
        learningRate: 0.1,
        clients: { min: 3, max: 3 },
        roundTimeoutS: 30,
        secureAggregation: { threshold: 2, neighbours: 2, quantisation: { clip: CLIP } },
      },
      await signInAs(url, Wallet.createRandom()),
    );
    for (const trainer of trainers) expect((await trainer.join(job.id)).ok).toBe(true);
    const initial = bytesToWeights((await downloadModel(url, job.modelCid, trainers[0]?.token)).bytes);
    const instructions = (await Promise.all(trainers.map((trainer) => trainer.next()))).map(
      (instruction) => instruction.instruction as TrainInstruction,
    );
    const first = trainers[0] as ScriptedTrainer;
    const secAgg = instructions[0]?.secureAggregation;
    // Every trainer is told the same participants (sorted addresses), the spec's parameters and the example cap.
    expect(secAgg).toMatchObject({
      participants: trainers.map((trainer) => trainer.address).sort(),
      threshold: 2,
      neighbours: 2,
      clip: CLIP,
      exampleCap: Math.max(...EXAMPLES),
    });
    if (secAgg === undefined) throw new Error("no secureAggregation in the instruction");
    const domain = tributaryDomain(first.hello.chainId, first.hello.verifyingContract);
    const context = {
      jobId: job.id,
      round: 0,
      domain,
      participants: secAgg.participants,
      threshold: secAgg.threshold,
      neighbours: secAgg.neighbours,
      length: PARAMS,
    };
    const emit = (trainer: ScriptedTrainer, event: string, payload: unknown): Promise<Ack> =>
      trainer.socket.emitWithAck(event, payload);

    // A plain update is not a masked input: refused in a SecAgg round (here before any key was shared).
    const plain = await first.submit(instructions[0] as TrainInstruction, delta(0), EXAMPLES[0]);
    expect(plain).toMatchObject({ ok: false, code: "UPDATE_REJECTED" });
    expect((plain as { message: string }).message).toMatch(/secagg-stage.*advertise stage/);

    // Stage messages are the signed-in trainer's own: one naming another trainer, even signed by it, is refused.
    const clients = trainers.map((trainer) => new SecAggClient(context, trainer.address, trainer.wallet));
    const advertisements = await Promise.all(clients.map((client) => client.advertiseKeys()));
    expect(await emit(first, SOCKET_EVENTS.secAggAdvertiseKeys, advertisements[1])).toMatchObject({
      ok: false,
      code: "SECAGG_NOT_YOURS",
    });
    // …a forged signature is refused by the round's server, a malformed message at the boundary, another round too.
    const { signature: _dropped, ...unsigned } = advertisements[0] as NonNullable<(typeof advertisements)[0]>;
    const forged = await signSecAggMessage(Wallet.createRandom(), domain, unsigned);
    expect(await emit(first, SOCKET_EVENTS.secAggAdvertiseKeys, forged)).toMatchObject({
      ok: false,
      code: "SECAGG_BAD_MESSAGE",
    });
    const malformed = await emit(first, SOCKET_EVENTS.secAggAdvertiseKeys, {
      ...advertisements[0],
      maskingKey: "0x12",
    });
    expect(malformed).toMatchObject({ ok: false, code: "INVALID_INPUT" });
    expect((malformed as { message: string }).message).toContain("secagg:advertise-keys.maskingKey");
    const elsewhere = await signSecAggMessage(first.wallet, domain, { ...unsigned, round: 5 });
    expect(await emit(first, SOCKET_EVENTS.secAggAdvertiseKeys, elsewhere)).toMatchObject({
      ok: false,
      code: "SECAGG_NO_ROUND",
    });

    // The protocol, each trainer for itself.
    const keys = trainers.map((trainer) => next<SecAggNeighbourKeys>(trainer, SOCKET_EVENTS.secAggNeighbourKeys));
    for (const [index, trainer] of trainers.entries()) {
      expect(await emit(trainer, SOCKET_EVENTS.secAggAdvertiseKeys, advertisements[index])).toEqual({ ok: true });
    }
    const deliveries = trainers.map((trainer) => next<SecAggSharesDelivery>(trainer, SOCKET_EVENTS.secAggShares));
    for (const [index, trainer] of trainers.entries()) {
      const shares = await (clients[index] as SecAggClient).shareKeys(
        await (keys[index] as Promise<SecAggNeighbourKeys>),
      );
      expect(await emit(trainer, SOCKET_EVENTS.secAggShareKeys, shares)).toEqual({ ok: true });
    }
    const requests = trainers.map((trainer) => next<SecAggUnmaskRequest>(trainer, SOCKET_EVENTS.secAggUnmask));
    const cap = Math.max(...EXAMPLES);
    for (const [index, trainer] of trainers.entries()) {
      // The weighting a trainer applies, written out here: n / cap times the clipped update, quantised.
      const weighted = Float32Array.from(
        delta(index),
        (value) => Math.min(CLIP, Math.max(-CLIP, value)) * ((EXAMPLES[index] as number) / cap),
      );
      const words = quantise(weighted, CLIP, secAgg.scale);
      const { bytes } = await (clients[index] as SecAggClient).maskInput(
        await (deliveries[index] as Promise<SecAggSharesDelivery>),
        words,
      );
      const instruction = instructions[index] as TrainInstruction;
      const header: ModelUpdateHeader = {
        jobId: job.id,
        round: 0,
        trainer: trainer.address,
        datasetId: trainer.datasetId,
        numExamples: EXAMPLES[index] as number,
        updateHash: `0x${createHash("sha256").update(bytes).digest("hex")}` as Bytes32,
        metrics: {},
        epsilonSpent: null,
        delta: 0,
        nonce: instruction.nonce,
      };
      expect(await trainer.send(await signModelUpdate(trainer.wallet, domain, header), bytes)).toMatchObject({
        ok: true,
      });
    }
    // A second trainer's unmasking sent by the first is not the first's to send.
    const unmaskings = await Promise.all(
      clients.map(async (client, index) => client.unmask(await (requests[index] as Promise<SecAggUnmaskRequest>))),
    );
    expect(await emit(first, SOCKET_EVENTS.secAggUnmasking, unmaskings[1])).toMatchObject({
      ok: false,
      code: "SECAGG_NOT_YOURS",
    });
    for (const [index, trainer] of trainers.entries()) {
      expect(await emit(trainer, SOCKET_EVENTS.secAggUnmasking, unmaskings[index])).toEqual({ ok: true });
    }

    const rounds = await until("the round to be aggregated", async () => {
      const list = await ok<{ outputModelCid: string | null; scoring: unknown }[]>(
        url,
        "GET",
        `/jobs/${job.id}/rounds`,
      );
      return list[0]?.outputModelCid ? list : undefined;
    });
    const model = bytesToWeights((await downloadModel(url, rounds[0]?.outputModelCid as string, first.token)).bytes);
    const total = EXAMPLES.reduce((sum, n) => sum + n, 0);
    const bound = (cap * EXAMPLES.length) / (2 * secAgg.scale * total) + 4 * 2 ** -23;
    for (let i = 0; i < PARAMS; i++) {
      let sum = 0;
      for (const [index, n] of EXAMPLES.entries())
        sum += n * Math.min(CLIP, Math.max(-CLIP, delta(index)[i] as number));
      expect(Math.abs((model[i] as number) - ((initial[i] as number) + sum / total))).toBeLessThanOrEqual(bound);
    }
    expect(rounds[0]?.scoring).toMatchObject({
      method: "examples",
      computedBy: "secure-aggregation",
      secureAggregation: { updates: "masked-inputs", survivors: 3, dropped: [], exampleCap: cap },
    });
    for (const trainer of trainers) trainer.close();
  });
});
