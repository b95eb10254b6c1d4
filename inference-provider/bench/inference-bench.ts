/**
 * npm run bench:inference — the provider's hot paths against baselines measured in the same run:
 * - voucher verification on one thread (the provider's verifier, libsecp256k1 native) against the same verifier on
 *   libsecp256k1 in WebAssembly and ethers' `verifyTypedData`;
 * - the provider over HTTP (64 clients, one channel each, every request paid, checked, stored and receipted), JSON
 *   and binary bodies, small (1 example) and large (32 examples) requests, against the model's raw `predict` at the
 *   batch size the provider's model calls held and at its best batch ≥ 32, measured around each phase
 *   (`model-bench.ts`): the MLP the targets are set on, and the reference CNN, whose examples cost ~50× more.
 * The clients run on worker threads (`load-client.ts`); each phase says which side limited it. Prints a table, then
 * one JSON line.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { cpus, loadavg, tmpdir } from "node:os";
import path from "node:path";
import { LocalChain } from "@tributary/contracts/local-chain";
import { connectPaymentChannels, connectTributaryToken } from "@tributary/contracts/typed";
import { initModelBackend } from "@tributary/model-runtime";
import { FEDAVG_CNN, MLP_784_200_200_10 } from "@tributary/protocol";
import { secp256k1 } from "@tributary/signatures";
import type { JsonRpcProvider, Wallet } from "ethers";
import { benchModel, type ModelBench, type ModelBenchResult } from "./model-bench.js";
import type { LoadChannel } from "./provider-load.js";
import { FastVoucherSigner, voucherRates } from "./voucher-rate.js";

const CLIENTS = 64;
const CLIENT_THREADS = 2;
const VERIFY_N = 5_000;
const PRICE = 1_000n;
const E18 = 10n ** 18n;
const TARGETS = { voucherVerifyPerS: 5_000, providerVsRaw: 0.7 };

/** The MLP (~20 µs an example here): what the targets are measured on; per-request costs weigh most. */
const MLP: ModelBench = {
  spec: MLP_784_200_200_10,
  phases: [
    { format: "json", examples: 1, requestsPerClient: 40 },
    { format: "binary", examples: 1, requestsPerClient: 40 },
    { format: "json", examples: 32, requestsPerClient: 15 },
    { format: "binary", examples: 32, requestsPerClient: 40 },
    // Not the target's shape: how the ratio grows when a request's fixed costs are spread over more examples.
    { format: "binary", examples: 128, requestsPerClient: 10 },
  ],
  warmUpPhase: { format: "binary", examples: 32, requestsPerClient: 10 },
  rawBatches: [1, 32, 64, 128],
  rawExamples: (batch) => (batch === 1 ? 2_000 : 12_800),
  maxBatch: 128,
  maxWaitMs: 2,
};

/** The reference CNN (~1 ms an example here): the same provider with a model whose work outweighs a request's. */
const CNN: ModelBench = {
  spec: FEDAVG_CNN,
  phases: [{ format: "binary", examples: 32, requestsPerClient: 3 }],
  warmUpPhase: { format: "binary", examples: 32, requestsPerClient: 1 },
  rawBatches: [32, 128],
  rawExamples: (batch) => batch * 12,
  maxBatch: 128,
  maxWaitMs: 2,
};

const percent = (fraction: number) => `${Math.round(fraction * 100)}%`;

async function openChannels(chain: LocalChain, rpc: JsonRpcProvider, buyer: Wallet, provider: string) {
  const { contracts } = chain.system.deployment;
  const signer = buyer.connect(rpc);
  const paymentChannels = connectPaymentChannels(contracts.PaymentChannels, signer);
  const deposit = 10n ** 12n;
  const token = connectTributaryToken(contracts.TributaryToken, signer);
  await (await token.approve(contracts.PaymentChannels, deposit * BigInt(CLIENTS))).wait();
  const expiry = BigInt((await rpc.getBlock("latest"))?.timestamp ?? 0) + 86_400n;
  const channels: LoadChannel[] = [];
  for (let client = 0; client < CLIENTS; client++) {
    await (await paymentChannels.open(provider, contracts.TributaryToken, deposit, expiry)).wait();
    channels.push({ channelId: await paymentChannels.channelCount(), signed: 0n });
  }
  return channels;
}

function phaseRows(name: string, provider: ModelBenchResult["provider"]): [string, string, string][] {
  return provider.map((phase) => [
    `${name} provider, ${phase.clients} clients, ${phase.format}, ${phase.examplesPerRequest} example(s)/request`,
    `${phase.examplesPerS} ex/s`,
    `${phase.requestsPerS} req/s, p50 ${phase.p50Ms} ms, p99 ${phase.p99Ms} ms, mean batch ${phase.meanBatch}, ` +
      `${phase.vsRaw}× raw at batch ${phase.rawBatch} (${phase.rawExamplesPerS}), ${phase.vsBestRaw}× the best ` +
      `(batch ${phase.bestRawBatch}), ${phase.vsRawPerCpu}× per CPU second; busy: event loop ` +
      `${percent(phase.providerThreadBusy)}, model ${percent(phase.modelThreadBusy)}, clients ` +
      `${percent(phase.clientThreadBusy)}, machine ${percent(phase.machineBusy)}: limited by ${phase.limitedBy}`,
  ]);
}

function rawRows(name: string, backend: string, raw: ModelBenchResult["raw"]): [string, string, string][] {
  return raw.map((batch) => [
    `${name} raw model.predict, batch ${batch.batch} (${backend}), median of ${batch.runs.length} runs`,
    `${batch.examplesPerS} ex/s`,
    `runs ${batch.runs.join(", ")}; p50 ${batch.p50Ms} ms, p99 ${batch.p99Ms} ms per call`,
  ]);
}

async function main(): Promise<void> {
  const backend = await initModelBackend({ prefer: ["wasm", "cpu"], log: () => {} });
  const chain = await LocalChain.start();
  const stateDir = await mkdtemp(path.join(tmpdir(), "tributary-bench-"));
  try {
    const rpc = chain.provider();
    const [providerWallet, buyer] = (await chain.fundedWallets(2, { tokens: 10_000n * E18 })) as [Wallet, Wallet];
    const verify = await voucherRates(buyer, VERIFY_N);
    const channels = await openChannels(chain, rpc, buyer, providerWallet.address);
    const deployment = {
      chainId: BigInt(chain.chainId),
      contract: chain.system.deployment.contracts.PaymentChannels.toLowerCase() as `0x${string}`,
    };
    const voucherSigner = new FastVoucherSigner(buyer, deployment);
    await voucherSigner.checkAgainstEthers();
    const world = {
      chain,
      rpc,
      providerWallet,
      channels,
      voucherSigner,
      pricePerExample: PRICE,
      clientThreads: CLIENT_THREADS,
      stateDir,
    };
    const mlp = await benchModel(world, MLP);
    const cnn = await benchModel(world, CNN);
    rpc.destroy();

    const { raw, provider } = mlp;
    const target = provider.find((phase) => phase.format === "binary" && phase.examplesPerRequest === 32);
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
    rows.push(...rawRows("MLP", backend.name, raw), ...phaseRows("MLP", provider));
    rows.push(...rawRows("CNN", backend.name, cnn.raw), ...phaseRows("CNN", cnn.provider));
    console.log(
      `inference benchmark — ${new Date().toISOString()}, Node ${process.version}, backend ${backend.name}, ` +
        `MLP 784-200-200-10 and the reference CNN, ${cpus().length} cores, load average ${loadavg()[0]?.toFixed(1)}`,
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
        cnn,
        router: null,
        targets: {
          voucherVerifyPerS: { target: TARGETS.voucherVerifyPerS, met: verify.ours.perS >= TARGETS.voucherVerifyPerS },
          providerVsRaw: {
            target: TARGETS.providerVsRaw,
            shape: "MLP, binary, 32 examples per request, 64 clients; against the best raw predict at batch ≥ 32",
            value: target?.vsBestRaw,
            met: (target?.vsBestRaw ?? 0) >= TARGETS.providerVsRaw,
          },
          router: "not measured: no router in this workspace",
        },
        clients: CLIENTS,
        clientThreads: CLIENT_THREADS,
        maxBatch: MLP.maxBatch,
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
