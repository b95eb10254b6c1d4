import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { RdpAccountant } from "@tributary/privacy";
import {
  type Address,
  type JobId,
  type SecAggInstruction,
  type SecAggStage,
  tributaryDomain,
} from "@tributary/protocol";
import { SecAggClient, type SecAggRefusedError, SecAggServer } from "@tributary/secure-aggregation";
import { keccak256, toUtf8Bytes, Wallet } from "ethers";
import { afterEach, describe, expect, it } from "vitest";
import { DatasetPrivacyGuard, type RoundHyperParams } from "./privacy-guard.js";
import { SecAggSession, secAggInput } from "./secagg-session.js";

let dir: string | undefined;
afterEach(async () => {
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

const DP: RoundHyperParams = {
  localEpochs: 1,
  batchSize: 10,
  learningRate: 0.1,
  proximalMu: 0,
  dp: { mode: "dp-sgd", l2NormClip: 1, noiseMultiplier: 1.2, targetEpsilon: 8, delta: 1e-5 },
};

describe("a trainer's SecAgg round with DP on (distributed discrete Gaussian)", () => {
  it("charges each round as one Gaussian release at z with sampling rate 1 (RDP α/(2z²)), not DP-SGD's steps", async () => {
    dir = await mkdtemp(path.join(tmpdir(), "tributary-secagg-guard-"));
    const guard = await DatasetPrivacyGuard.open(dir, "1", { epsilon: 20, delta: 1e-5 });
    const round = (index: number) =>
      guard.prepareRound({
        jobId: "9" as JobId,
        round: index,
        rounds: 3,
        hyperParams: DP,
        datasetSize: 95,
        secureAggregation: { minSurvivors: 3 },
      });
    const first = await round(0);
    expect(first.training).toEqual({});
    expect(first.distributed).toEqual({ noiseMultiplier: 1.2, clipNorm: 1, minSurvivors: 3 });
    expect(first.charged.epsilonSpent).toBeCloseTo(new RdpAccountant().step(1.2, 1, 1).getEpsilon(1e-5).epsilon, 12);
    await round(1);
    const third = await round(2);
    // The central-noise accountant, the same mechanism on the sum: 3 full-batch Gaussian steps at z.
    const central = new RdpAccountant().step(1.2, 1, 3);
    expect(third.charged.epsilonSpent).toBeCloseTo(central.getEpsilon(1e-5).epsilon, 12);
    // …whose RDP is the closed form 3 · α / (2z²) (Mironov 2017).
    central.orders.forEach((alpha, k) => {
      expect(central.rdp()[k] as number).toBeCloseTo((3 * alpha) / (2 * 1.2 * 1.2), 9);
    });
  });

  it("adds a discrete Gaussian share of σ = z·(scale·C + √d/2)/√m_min to every word of its input", () => {
    const d = 20_000;
    const instruction: SecAggInstruction = {
      participants: ["0x0000000000000000000000000000000000000001", "0x0000000000000000000000000000000000000002"],
      threshold: 2,
      neighbours: 2,
      clip: 1,
      scale: 256,
      exampleCap: 100,
    };
    const distributed = { noiseMultiplier: 1.5, clipNorm: 2, minSurvivors: 4 };
    const words = secAggInput(new Float32Array(d), 100, instruction, distributed);
    const sigma = (1.5 * (256 * 2 + Math.sqrt(d) / 2)) / Math.sqrt(4);
    let sum = 0;
    let squares = 0;
    for (const word of words) {
      const value = word | 0;
      sum += value;
      squares += value * value;
    }
    const mean = sum / d;
    const sd = Math.sqrt(squares / d - mean * mean);
    // Standard error of the sample sd is σ/√(2d) ≈ 0.5 %: 4 % is far outside chance, far inside any real error.
    expect(Math.abs(sd / sigma - 1)).toBeLessThan(0.04);
    expect(Math.abs(mean)).toBeLessThan((5 * sigma) / Math.sqrt(d));
    // With the default scale of 2 trainers at clip 1 (2^29) the noise would wrap around 32 bits: refused.
    expect(() => secAggInput(new Float32Array(d), 100, { ...instruction, scale: 2 ** 29 }, distributed)).toThrow(
      /leaves no room in 32 bits for the DP noise/,
    );
    // Without DP the same input is exact: all zero.
    expect(secAggInput(new Float32Array(d), 100, instruction).every((word) => word === 0)).toBe(true);
  });
});

describe("a trainer's SecAgg session against a malicious coordinator", () => {
  it("refuses an unmasking request naming one trainer both survivor and dropped, and sends nothing for it", async () => {
    const wallets = [0, 1, 2].map((i) => new Wallet(keccak256(toUtf8Bytes(`session-${i}`))));
    const participants = wallets.map((wallet) => wallet.address.toLowerCase() as Address).sort();
    const byAddress = new Map(wallets.map((wallet) => [wallet.address.toLowerCase(), wallet]));
    const context = {
      jobId: "4" as JobId,
      round: 0,
      domain: tributaryDomain(31_337, "0x00000000000000000000000000000000000000aa"),
      participants,
      threshold: 2,
      neighbours: 2,
      length: 8,
    };
    const server = new SecAggServer(context);
    const sent: { trainer: Address; stage: SecAggStage | "masked" }[] = [];
    const refusals: SecAggRefusedError[] = [];
    const sessions = participants.map((trainer) => {
      const client = new SecAggClient(context, trainer, byAddress.get(trainer) as Wallet);
      return new SecAggSession(client, new Uint32Array(8).fill(7), {
        send: async (stage, message) => {
          sent.push({ trainer, stage });
          if (stage === "advertise-keys") server.receiveAdvertisement(message);
          if (stage === "share-keys") server.receiveShares(message);
          if (stage === "unmasking") server.receiveUnmasking(message);
        },
        sendMasked: async (bytes) => {
          sent.push({ trainer, stage: "masked" });
          server.acceptMaskedInput(trainer, new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4));
        },
        refused: (error) => refusals.push(error),
      });
    });
    for (const session of sessions) await session.start();
    server.closeAdvertising();
    for (const [index, session] of sessions.entries()) {
      await session.onNeighbourKeys(server.neighbourKeysFor(participants[index] as Address));
    }
    server.closeSharing();
    for (const [index, session] of sessions.entries()) {
      await session.onShares(server.deliveryFor(participants[index] as Address));
    }
    const honest = server.closeMaskedInputs();
    const victim = participants[2] as Address;
    // The coordinator asks the first trainer for the victim's self-mask share and its masking-key share at once.
    await (sessions[0] as SecAggSession).onUnmask({ ...honest, dropped: [victim] });
    expect(refusals).toHaveLength(1);
    expect(refusals[0]?.code).toBe("SECAGG_REFUSED");
    expect(refusals[0]?.message).toMatch(/both secrets of one trainer/);
    expect(sent.filter((entry) => entry.stage === "unmasking")).toEqual([]);
    // The session is over: even the honest request now gets no answer from that trainer.
    await (sessions[0] as SecAggSession).onUnmask(honest);
    expect(sent.filter((entry) => entry.stage === "unmasking")).toEqual([]);
  });
});
