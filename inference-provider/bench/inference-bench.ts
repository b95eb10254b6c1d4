/**
 * npm run bench:inference — the provider's hot paths against baselines measured in the same run:
 * - voucher verification (digest + libsecp256k1 recovery, one core) against ethers' `verifyTypedData`;
 * - the provider's throughput over HTTP (paid requests of one example from 64 concurrent clients, dynamic batching,
 *   vouchers checked and stored, receipts signed) against the model's raw `predict` at the same batch sizes.
 * The clients run in the same process as the provider, so the ratio is a lower bound. Prints a table, then one JSON
 * line.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import * as tf from "@tensorflow/tfjs-core";
import { LocalChain } from "@tributary/contracts/local-chain";
import { connectPaymentChannels, connectTributaryToken } from "@tributary/contracts/typed";
import { buildModel, getFlatWeights, initModelBackend } from "@tributary/model-runtime";
import {
  MLP_784_200_200_10,
  recoverVoucherSigner,
  type SignedVoucher,
  signVoucher,
  voucherToWire,
} from "@tributary/protocol";
import { hexlify, randomBytes, type Wallet } from "ethers";
import { startProviderService } from "../src/provider-service.js";
import { VoucherLedger } from "../src/voucher-ledger.js";

const CLIENTS = 64;
const REQUESTS_PER_CLIENT = 30;
/** Examples per request in each load phase: one (crypto and HTTP per example), and 16 (amortised over 16). */
const PHASES = [1, 16] as const;
const MAX_BATCH = 64;
const VERIFY_N = 3_000;
const PRICE = 1_000n;
const E18 = 10n ** 18n;

function rate(count: number, ms: number): number {
  return Math.round(count / (ms / 1000));
}

async function voucherBench(buyer: Wallet) {
  const deployment = { chainId: 31337n, contract: `0x${"12".repeat(20)}` as const };
  const vouchers: SignedVoucher[] = [];
  for (let i = 1; i <= VERIFY_N; i++)
    vouchers.push(await signVoucher(buyer, deployment, { channelId: 1n, amount: BigInt(i) }));
  const ledger = new VoucherLedger({ deployment, provider: "0x", paymentToken: "0x", expiryMarginS: 0n }, new Map());
  const buyerAddress = buyer.address.toLowerCase();
  let start = performance.now();
  for (const voucher of vouchers) if (!ledger.signedBy(voucher, buyerAddress)) throw new Error("voucher not verified");
  const ours = rate(VERIFY_N, performance.now() - start);
  start = performance.now();
  for (const voucher of vouchers.slice(0, 500))
    if (recoverVoucherSigner(voucher) !== buyerAddress) throw new Error("ethers");
  const ethers = rate(500, performance.now() - start);
  return { ours, ethers };
}

async function rawPredict(model: ReturnType<typeof buildModel>, batch: number, examples: number): Promise<number> {
  const input = tf.randomUniform([batch, 784]);
  const once = async () => {
    const out = model.predict(input) as tf.Tensor;
    await out.data();
    out.dispose();
  };
  await once();
  const start = performance.now();
  for (let done = 0; done < examples; done += batch) await once();
  const perS = rate(examples, performance.now() - start);
  input.dispose();
  return perS;
}

async function main(): Promise<void> {
  const backend = await initModelBackend({ prefer: ["wasm", "cpu"], log: () => {} });
  const chain = await LocalChain.start();
  const stateDir = await mkdtemp(path.join(tmpdir(), "tributary-bench-"));
  try {
    const rpc = chain.provider();
    const { contracts } = chain.system.deployment;
    const [providerWallet, buyer] = (await chain.fundedWallets(2, { tokens: 10_000n * E18 })) as [Wallet, Wallet];
    const verify = await voucherBench(buyer);

    const model = buildModel(MLP_784_200_200_10, { seed: 1 });
    const weights = getFlatWeights(model);
    const { registerModel } = await import("../test-support/provider-world.js");
    const registered = { ...(await registerModel(chain, providerWallet, weights, PRICE)), spec: MLP_784_200_200_10 };
    const service = await startProviderService({
      model: registered,
      chainId: BigInt(chain.chainId),
      modelRegistry: contracts.ModelRegistry,
      channels: connectPaymentChannels(contracts.PaymentChannels, rpc),
      chain: rpc,
      privateKey: providerWallet.privateKey,
      address: providerWallet.address,
      stateDir,
      host: "127.0.0.1",
      port: 0,
      maxBatch: MAX_BATCH,
      maxWaitMs: 2,
      maxExamplesPerRequest: MAX_BATCH,
      bodyLimit: 1 << 22,
      channelTtlMs: 60_000,
      expiryMarginS: 60n,
    });
    const signer = buyer.connect(rpc);
    const channels = connectPaymentChannels(contracts.PaymentChannels, signer);
    const token = connectTributaryToken(contracts.TributaryToken, signer);
    const deployment = {
      chainId: BigInt(chain.chainId),
      contract: contracts.PaymentChannels.toLowerCase() as `0x${string}`,
    };
    const example = Array.from({ length: 784 }, (_, i) => ((i * 37) % 255) / 255);
    const post = (body: string) =>
      fetch(`${service.url}/v1/predict`, { method: "POST", headers: { "content-type": "application/json" }, body });

    /** 64 clients, each on its own channel with its vouchers signed before the clock starts. */
    const load = async (perRequest: number) => {
      const price = PRICE * BigInt(perRequest);
      const deposit = price * BigInt(REQUESTS_PER_CLIENT + 1);
      await (await token.approve(contracts.PaymentChannels, deposit * BigInt(CLIENTS))).wait();
      const expiry = BigInt((await rpc.getBlock("latest"))?.timestamp ?? 0) + 86_400n;
      const inputs = Array.from({ length: perRequest }, () => example);
      const bodies: string[][] = [];
      for (let client = 0; client < CLIENTS; client++) {
        await (await channels.open(providerWallet.address, contracts.TributaryToken, deposit, expiry)).wait();
        const channelId = await channels.channelCount();
        const own: string[] = [];
        for (let r = 1; r <= REQUESTS_PER_CLIENT + 1; r++) {
          const voucher = await signVoucher(buyer, deployment, { channelId, amount: price * BigInt(r) });
          own.push(JSON.stringify({ requestId: hexlify(randomBytes(32)), inputs, payment: voucherToWire(voucher) }));
        }
        bodies.push(own);
      }
      // Warm-up: every channel read once (the provider caches it), the model's kernels compiled.
      await Promise.all(bodies.map(async (own) => (await post(own.shift() as string)).arrayBuffer()));
      let batchSum = 0;
      let requests = 0;
      const start = performance.now();
      await Promise.all(
        bodies.map(async (own) => {
          for (const body of own) {
            const response = await post(body);
            if (response.status !== 200) throw new Error(`HTTP ${response.status}: ${await response.text()}`);
            batchSum += Number(response.headers.get("x-tributary-batch-size"));
            requests++;
            await response.arrayBuffer();
          }
        }),
      );
      const examplesPerS = rate(requests * perRequest, performance.now() - start);
      return {
        perRequest,
        examplesPerS,
        requestsPerS: rate(requests, performance.now() - start),
        meanBatch: batchSum / requests,
      };
    };
    const phases = [];
    for (const perRequest of PHASES) phases.push(await load(perRequest));
    await service.close();

    const raw32 = await rawPredict(model, 32, 6_400);
    const raw64 = await rawPredict(model, 64, 6_400);
    const rows: [string, string, string][] = [
      ["voucher verification (ours: keccak + libsecp256k1 wasm)", `${verify.ours}/s`, "one core"],
      [
        "voucher verification (ethers verifyTypedData, baseline)",
        `${verify.ethers}/s`,
        `ours ${(verify.ours / verify.ethers).toFixed(1)}×`,
      ],
      [`raw model.predict, batch 32 (${backend.name})`, `${raw32} examples/s`, "baseline"],
      [`raw model.predict, batch 64 (${backend.name})`, `${raw64} examples/s`, "baseline"],
    ];
    const provider = phases.map((phase) => {
      const raw = phase.meanBatch >= 48 ? raw64 : raw32;
      const vsRaw = phase.examplesPerS / raw;
      rows.push([
        `provider over HTTP, ${CLIENTS} clients, paid, ${phase.perRequest} example(s)/request`,
        `${phase.examplesPerS} examples/s`,
        `${phase.requestsPerS} requests/s, mean batch ${phase.meanBatch.toFixed(1)}, ${vsRaw.toFixed(2)}× raw`,
      ]);
      return { ...phase, meanBatch: Number(phase.meanBatch.toFixed(2)), vsRaw: Number(vsRaw.toFixed(3)) };
    });
    console.log(
      `inference benchmark — ${new Date().toISOString()}, Node ${process.version}, backend ${backend.name}, MLP 784-200-200-10`,
    );
    const width = Math.max(...rows.map(([name]) => name.length));
    for (const [name, value, note] of rows) console.log(`${name.padEnd(width)}  ${value.padStart(18)}  ${note}`);
    console.log(
      JSON.stringify({
        voucherVerifyPerS: verify.ours,
        ethersVerifyPerS: verify.ethers,
        rawPredictBatch32PerS: raw32,
        rawPredictBatch64PerS: raw64,
        provider,
        clients: CLIENTS,
        backend: backend.name,
      }),
    );
    rpc.destroy();
  } finally {
    await chain.stop();
    await rm(stateDir, { recursive: true, force: true });
  }
}

await main();
