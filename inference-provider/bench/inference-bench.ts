/**
 * npm run bench:inference — the provider's hot paths against baselines measured in the same run:
 * - voucher verification on one thread (the provider's verifier, libsecp256k1 native) against the same verifier on
 *   libsecp256k1 in WebAssembly and ethers' `verifyTypedData`;
 * - the provider over HTTP (64 clients, one channel each, every request paid, checked, stored and receipted), JSON
 *   and binary bodies, small (1 example) and large (32 examples) requests, against the model's raw `predict` at the
 *   batch size the provider's model calls held; raw `predict` is measured before and after the load phases.
 * The clients run on worker threads (`load-client.ts`); each phase says which side limited it. Prints a table, then
 * one JSON line.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { cpus, loadavg, tmpdir } from "node:os";
import path from "node:path";
import { LocalChain } from "@tributary/contracts/local-chain";
import { connectPaymentChannels, connectTributaryToken } from "@tributary/contracts/typed";
import { buildModel, getFlatWeights, initModelBackend } from "@tributary/model-runtime";
import { MLP_784_200_200_10 } from "@tributary/protocol";
import type { Wallet } from "ethers";
import { secp256k1 } from "../src/secp256k1.js";
import { registerModel, serveOnChain } from "../test-support/provider-world.js";
import { type LoadChannel, type LoadPhase, type PhaseResult, ProviderLoad } from "./provider-load.js";
import { type RawPredict, rawAround, rawCurve, rawSummary, warmUp } from "./raw-predict.js";
import { FastVoucherSigner, voucherRates } from "./voucher-rate.js";

const CLIENTS = 64;
const CLIENT_THREADS = 2;
const MAX_BATCH = 128;
const MAX_WAIT_MS = 2;
const PHASES: LoadPhase[] = [
  { format: "json", examples: 1, requestsPerClient: 40 },
  { format: "binary", examples: 1, requestsPerClient: 40 },
  { format: "json", examples: 32, requestsPerClient: 15 },
  { format: "binary", examples: 32, requestsPerClient: 40 },
];
const VERIFY_N = 5_000;
const PRICE = 1_000n;
const E18 = 10n ** 18n;
const TARGETS = { voucherVerifyPerS: 5_000, providerVsRaw: 0.7 };

const percent = (fraction: number) => `${Math.round(fraction * 100)}%`;
const ratio = (value: number, baseline: number) => Number((value / baseline).toFixed(3));

async function main(): Promise<void> {
  const backend = await initModelBackend({ prefer: ["wasm", "cpu"], log: () => {} });
  const chain = await LocalChain.start();
  const stateDir = await mkdtemp(path.join(tmpdir(), "tributary-bench-"));
  try {
    const rpc = chain.provider();
    const { contracts } = chain.system.deployment;
    const [providerWallet, buyer] = (await chain.fundedWallets(2, { tokens: 10_000n * E18 })) as [Wallet, Wallet];
    const verify = await voucherRates(buyer, VERIFY_N);

    const model = buildModel(MLP_784_200_200_10, { seed: 1 });
    await warmUp(model, 784, 2_000);
    // Raw predict is measured before the first load phase and after each one: each phase is compared with the
    // baseline measured just around it (the machine's other load changes over a run).
    const rawCurves: RawPredict[][] = [await rawCurve(model, 784)];
    const registered = {
      ...(await registerModel(chain, providerWallet, getFlatWeights(model), PRICE)),
      spec: MLP_784_200_200_10,
    };
    const service = await serveOnChain(chain, rpc, providerWallet, registered, stateDir, {
      maxBatch: MAX_BATCH,
      maxWaitMs: MAX_WAIT_MS,
      maxExamplesPerRequest: 64,
      bodyLimit: 1 << 22,
      channelTtlMs: 600_000,
    });
    const signer = buyer.connect(rpc);
    const paymentChannels = connectPaymentChannels(contracts.PaymentChannels, signer);
    const deposit = 10n ** 12n;
    await (
      await connectTributaryToken(contracts.TributaryToken, signer).approve(
        contracts.PaymentChannels,
        deposit * BigInt(CLIENTS),
      )
    ).wait();
    const expiry = BigInt((await rpc.getBlock("latest"))?.timestamp ?? 0) + 86_400n;
    const channels: LoadChannel[] = [];
    for (let client = 0; client < CLIENTS; client++) {
      await (await paymentChannels.open(providerWallet.address, contracts.TributaryToken, deposit, expiry)).wait();
      channels.push({ channelId: await paymentChannels.channelCount(), signed: 0n });
    }
    const deployment = {
      chainId: BigInt(chain.chainId),
      contract: contracts.PaymentChannels.toLowerCase() as `0x${string}`,
    };
    const voucherSigner = new FastVoucherSigner(buyer, deployment);
    await voucherSigner.checkAgainstEthers();
    const load = new ProviderLoad(service.url, channels, voucherSigner, PRICE, [784], CLIENT_THREADS);
    // Warm-up (not reported): the model's thread compiles its WebAssembly hot paths, every channel is read once.
    await load.run({ format: "binary", examples: 32, requestsPerClient: 10 });
    const phases: PhaseResult[] = [];
    for (const phase of PHASES) {
      phases.push(await load.run(phase));
      rawCurves.push(await rawCurve(model, 784));
    }
    await service.close();
    rpc.destroy();

    const raw = rawSummary(rawCurves);
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
    const target = provider.find((phase) => phase.format === "binary" && phase.examplesPerRequest >= 32);
    const rows: [string, string, string][] = [
      [
        `voucher verification (ours: keccak + libsecp256k1 ${verify.backend}, cached key)`,
        `${verify.ours.perS}/s`,
        `${verify.ours.perCpuS}/s per CPU second`,
      ],
      [
        "voucher verification (same, libsecp256k1 wasm: before)",
        `${verify.wasm.perS}/s`,
        `ours ${(verify.ours.perS / verify.wasm.perS).toFixed(1)}×`,
      ],
      [
        "voucher verification (ethers verifyTypedData, baseline)",
        `${verify.ethers.perS}/s`,
        `ours ${(verify.ours.perS / verify.ethers.perS).toFixed(1)}×`,
      ],
    ];
    for (const batch of raw) {
      rows.push([
        `raw model.predict, batch ${batch.batch} (${backend.name}), median of ${batch.runs.length} runs`,
        `${batch.examplesPerS} ex/s`,
        `runs ${batch.runs.join(", ")}; p50 ${batch.p50Ms} ms, p99 ${batch.p99Ms} ms per call`,
      ]);
    }
    for (const phase of provider) {
      rows.push([
        `provider, ${phase.clients} clients, ${phase.format}, ${phase.examplesPerRequest} example(s)/request`,
        `${phase.examplesPerS} ex/s`,
        `${phase.requestsPerS} req/s, p50 ${phase.p50Ms} ms, p99 ${phase.p99Ms} ms, mean batch ${phase.meanBatch}, ` +
          `${phase.vsRaw}× raw at batch ${phase.rawBatch} (${phase.rawExamplesPerS}), ${phase.vsBestRaw}× the best ` +
          `(batch ${phase.bestRawBatch}), ${phase.vsRawPerCpu}× per CPU second; busy: event loop ` +
          `${percent(phase.providerThreadBusy)}, model ${percent(phase.modelThreadBusy)}, clients ` +
          `${percent(phase.clientThreadBusy)}, machine ${percent(phase.machineBusy)}: limited by ${phase.limitedBy}`,
      ]);
    }
    console.log(
      `inference benchmark — ${new Date().toISOString()}, Node ${process.version}, backend ${backend.name}, ` +
        `MLP 784-200-200-10, ${cpus().length} cores, load average ${loadavg()[0]?.toFixed(1)}`,
    );
    const width = Math.max(...rows.map(([name]) => name.length));
    for (const [name, value, note] of rows) console.log(`${name.padEnd(width)}  ${value.padStart(20)}  ${note}`);
    console.log(
      JSON.stringify({
        voucherVerifyPerS: verify.ours.perS,
        voucherVerifyPerCpuS: verify.ours.perCpuS,
        voucherBackend: verify.backend,
        wasmVerifyPerS: verify.wasm.perS,
        ethersVerifyPerS: verify.ethers.perS,
        raw,
        provider,
        router: null,
        targets: {
          voucherVerifyPerS: { target: TARGETS.voucherVerifyPerS, met: verify.ours.perS >= TARGETS.voucherVerifyPerS },
          providerVsRaw: {
            target: TARGETS.providerVsRaw,
            shape: "binary, 32 examples per request, 64 clients; against the best raw predict at batch ≥ 32",
            value: target?.vsBestRaw,
            met: (target?.vsBestRaw ?? 0) >= TARGETS.providerVsRaw,
          },
          router: "not measured: no router in this workspace",
        },
        clients: CLIENTS,
        clientThreads: CLIENT_THREADS,
        maxBatch: MAX_BATCH,
        backend: backend.name,
        secp256k1: secp256k1.name,
        cores: cpus().length,
      }),
    );
  } finally {
    await chain.stop();
    await rm(stateDir, { recursive: true, force: true });
  }
}

await main();
