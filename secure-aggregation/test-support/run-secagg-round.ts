import { type Address, type JobId, SeededRandom, tributaryDomain } from "@tributary/protocol";
import { keccak256, toUtf8Bytes, Wallet } from "ethers";
import { quantise } from "../src/quantise.js";
import { SecAggClient } from "../src/secagg-client.js";
import type { SecAggRoundContext } from "../src/secagg-round.js";
import { type SecAggResult, SecAggServer } from "../src/secagg-server.js";

export interface RoundPlan {
  readonly trainers: number;
  readonly threshold: number;
  readonly neighbours: number;
  readonly length: number;
  /** Indices of trainers that drop before answering each stage. */
  readonly dropBefore?: {
    readonly advertise?: number[];
    readonly share?: number[];
    readonly mask?: number[];
    readonly unmask?: number[];
  };
  readonly clip: number;
  readonly scale: number;
  readonly seed: number;
}

export interface RoundRun {
  readonly result: SecAggResult;
  readonly context: SecAggRoundContext;
  readonly wallets: readonly Wallet[];
  readonly inputs: ReadonlyMap<Address, Float32Array>;
  readonly clients: ReadonlyMap<Address, SecAggClient>;
  readonly maskedBytes: ReadonlyMap<Address, Uint8Array>;
}

export function testWallets(count: number): Wallet[] {
  return Array.from({ length: count }, (_, i) => new Wallet(keccak256(toUtf8Bytes(`secagg-trainer-${i}`))));
}

export function testContext(
  wallets: readonly Wallet[],
  plan: Pick<RoundPlan, "threshold" | "neighbours" | "length">,
): SecAggRoundContext {
  return {
    jobId: "7" as JobId,
    round: 3,
    domain: tributaryDomain(31_337, "0x00000000000000000000000000000000000000aa"),
    participants: wallets.map((wallet) => wallet.address.toLowerCase() as Address),
    threshold: plan.threshold,
    neighbours: plan.neighbours,
    length: plan.length,
  };
}

/** Runs one SecAgg+ round in memory, the coordinator relaying every message, trainers dropping as planned. */
export async function runSecAggRound(plan: RoundPlan): Promise<RoundRun> {
  const wallets = testWallets(plan.trainers);
  const context = testContext(wallets, plan);
  const random = new SeededRandom(plan.seed);
  const inputs = new Map<Address, Float32Array>();
  const clients = new Map<Address, SecAggClient>();
  for (const [index, wallet] of wallets.entries()) {
    const address = context.participants[index] as Address;
    inputs.set(
      address,
      Float32Array.from({ length: plan.length }, () => (random.nextFloat() * 2 - 1) * 1.5 * plan.clip),
    );
    clients.set(address, new SecAggClient(context, address, wallet));
  }
  const alive = (stage: keyof NonNullable<RoundPlan["dropBefore"]>) => {
    const dropped = new Set<number>();
    for (const key of ["advertise", "share", "mask", "unmask"] as const) {
      for (const index of plan.dropBefore?.[key] ?? []) dropped.add(index);
      if (key === stage) break;
    }
    return context.participants.filter((_, index) => !dropped.has(index));
  };
  const server = new SecAggServer(context);
  for (const trainer of alive("advertise"))
    server.receiveAdvertisement(await (clients.get(trainer) as SecAggClient).advertiseKeys());
  server.closeAdvertising();
  for (const trainer of alive("share")) {
    server.receiveShares(await (clients.get(trainer) as SecAggClient).shareKeys(server.neighbourKeysFor(trainer)));
  }
  server.closeSharing();
  const maskedBytes = new Map<Address, Uint8Array>();
  for (const trainer of alive("mask")) {
    const words = quantise(inputs.get(trainer) as Float32Array, plan.clip, plan.scale);
    const { message, bytes } = await (clients.get(trainer) as SecAggClient).maskInput(
      server.deliveryFor(trainer),
      words,
    );
    maskedBytes.set(trainer, bytes);
    server.receiveMaskedInput(message, bytes);
  }
  const request = server.closeMaskedInputs();
  for (const trainer of alive("unmask")) {
    if (!request.survivors.includes(trainer)) continue;
    server.receiveUnmasking(await (clients.get(trainer) as SecAggClient).unmask(request));
  }
  return { result: server.finish(), context, wallets, inputs, clients, maskedBytes };
}
