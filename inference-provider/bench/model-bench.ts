/**
 * One model's part of `npm run bench:inference`: the model registered on the local chain and served by the
 * provider, its load phases, and raw `predict` measured before the first phase and after each one, so that each
 * phase is compared with the baseline measured just around it (the machine's other load changes over a run).
 */
import type { LocalChain } from "@tributary/contracts/local-chain";
import { buildModel, getFlatWeights } from "@tributary/model-runtime";
import type { ModelSpec } from "@tributary/protocol";
import type { JsonRpcProvider, Wallet } from "ethers";
import { registerModel, serveOnChain } from "../test-support/provider-world.js";
import { type LoadChannel, type LoadPhase, type PhaseResult, ProviderLoad } from "./provider-load.js";
import { type RawPredict, rawAround, rawCurve, rawSummary, warmUp } from "./raw-predict.js";
import type { FastVoucherSigner } from "./voucher-rate.js";

export interface ModelBench {
  readonly spec: ModelSpec;
  readonly phases: readonly LoadPhase[];
  /** Not reported: compiles the model thread's hot paths and reads every channel once. */
  readonly warmUpPhase: LoadPhase;
  /** Raw `predict`'s batch sizes, and how many examples to time at each. */
  readonly rawBatches: readonly number[];
  readonly rawExamples: (batch: number) => number;
  readonly maxBatch: number;
  readonly maxWaitMs: number;
}

export interface BenchWorld {
  readonly chain: LocalChain;
  readonly rpc: JsonRpcProvider;
  readonly providerWallet: Wallet;
  readonly channels: readonly LoadChannel[];
  readonly voucherSigner: FastVoucherSigner;
  readonly pricePerExample: bigint;
  readonly clientThreads: number;
  readonly stateDir: string;
}

const ratio = (value: number, baseline: number) => Number((value / baseline).toFixed(3));

export async function benchModel(world: BenchWorld, bench: ModelBench) {
  const { spec } = bench;
  const model = buildModel(spec, { seed: 1 });
  await warmUp(model, spec.inputShape, 2_000);
  const curve = () => rawCurve(model, spec.inputShape, bench.rawBatches, bench.rawExamples);
  const rawCurves: RawPredict[][] = [await curve()];
  const registered = {
    ...(await registerModel(world.chain, world.providerWallet, getFlatWeights(model), world.pricePerExample)),
    spec,
  };
  const service = await serveOnChain(world.chain, world.rpc, world.providerWallet, registered, world.stateDir, {
    maxBatch: bench.maxBatch,
    maxWaitMs: bench.maxWaitMs,
    maxExamplesPerRequest: 128,
    bodyLimit: 1 << 24,
    channelTtlMs: 600_000,
  });
  const phases: PhaseResult[] = [];
  try {
    const load = new ProviderLoad(
      service.url,
      world.channels,
      world.voucherSigner,
      world.pricePerExample,
      spec.inputShape,
      world.clientThreads,
    );
    await load.run(bench.warmUpPhase);
    for (const phase of bench.phases) {
      phases.push(await load.run(phase));
      rawCurves.push(await curve());
    }
  } finally {
    await service.close();
    model.dispose();
  }
  const provider = phases.map((phase, index) => {
    const around = rawAround(phase.meanBatch, rawCurves[index] as RawPredict[], rawCurves[index + 1] as RawPredict[]);
    return {
      ...phase,
      rawBatch: around.nearest.batch,
      rawExamplesPerS: around.nearest.examplesPerS,
      bestRawBatch: around.best.batch,
      bestRawExamplesPerS: around.best.examplesPerS,
      vsRaw: ratio(phase.examplesPerS, around.nearest.examplesPerS),
      vsBestRaw: ratio(phase.examplesPerS, around.best.examplesPerS),
      vsRawPerCpu: ratio(phase.examplesPerProviderCpuS, around.nearest.examplesPerCpuS),
    };
  });
  return { raw: rawSummary(rawCurves), provider };
}

export type ModelBenchResult = Awaited<ReturnType<typeof benchModel>>;
