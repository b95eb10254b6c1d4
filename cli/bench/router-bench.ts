/**
 * `npm run bench:router` (after `npm run build`: the providers and the router run as `tributary` processes): what the
 * task router costs. Three providers (`tributary provider serve`, each its own process and key) serve the same small
 * model (2×3 → 5 → 3, so the model costs almost nothing and the router's share shows); a buyer in this process pays
 * per request with the buyer library. Baseline in the same run: the same buyer calling the providers directly
 * (`InferenceClient`, requests spread round robin). Measured: the p50 latency of one request at a time, and the
 * throughput of concurrent buyers' requests, direct and through a router (`tributary router serve`, its own process;
 * `RoutedInferenceClient`). Prints a table, then one JSON line.
 */
import { mkdtemp } from "node:fs/promises";
import path from "node:path";
import { ChannelPayer, InferenceClient, RoutedInferenceClient } from "@tributary/buyer";
import { connectPaymentChannels, connectTributaryToken } from "@tributary/contracts/typed";
import type { Address } from "@tributary/protocol";
import type { Wallet } from "ethers";
import { registerModel, WORLD_SPEC, worldWeights } from "../../inference-provider/test-support/provider-world.js";
import { startDeployedChain } from "../test-support/deployed-chain.js";
import { writeModelDir } from "../test-support/served-model-world.js";
import { envWithKey, envWithoutKeys, serveArgs, TributaryProcess } from "../test-support/tributary-process.js";

const PROVIDERS = 3;
const SEQUENTIAL = 300;
const WORKERS = 8;
const CONCURRENT = 1_600;
const PRICE = 1_000n;
const EXAMPLE = [
  [0.5, -1, 2],
  [1, 0, -0.5],
];

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
};

async function sequential(predict: () => Promise<unknown>): Promise<{ p50: number; p90: number }> {
  for (let n = 0; n < 20; n++) await predict();
  const times: number[] = [];
  for (let n = 0; n < SEQUENTIAL; n++) {
    const start = performance.now();
    await predict();
    times.push(performance.now() - start);
  }
  return { p50: percentile(times, 50), p90: percentile(times, 90) };
}

async function throughput(predict: (worker: number) => Promise<unknown>): Promise<number> {
  let started = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: WORKERS }, async (_, worker) => {
      while (started < CONCURRENT) {
        started++;
        await predict(worker);
      }
    }),
  );
  return CONCURRENT / ((performance.now() - start) / 1000);
}

async function main(): Promise<void> {
  const deployed = await startDeployedChain();
  const processes: TributaryProcess[] = [];
  try {
    const { chain, provider: rpc } = deployed;
    const wallets = await chain.fundedWallets(PROVIDERS + 1, { tokens: 100_000n * 10n ** 18n });
    const buyer = wallets[PROVIDERS] as Wallet;
    const providers = wallets.slice(0, PROVIDERS);
    const weights = await worldWeights(5);
    const modelDir = path.join(deployed.dir, "model");
    await writeModelDir(modelDir, WORLD_SPEC, weights);
    const models: Awaited<ReturnType<typeof registerModel>>[] = [];
    for (const wallet of providers) models.push(await registerModel(chain, wallet, weights, PRICE));
    const chainFlags = ["--rpc", chain.url, "--deployment", deployed.deploymentFile];

    const router = TributaryProcess.spawn(["router", "serve", "--port", "0", ...chainFlags], envWithoutKeys());
    processes.push(router);
    const [, routerUrl] = (await router.waitFor(/^routing for chain \d+ .* at (\S+): /)) as [string, string];
    const urls: string[] = [];
    for (const [index, wallet] of providers.entries()) {
      const stateDir = await mkdtemp(path.join(deployed.dir, "provider-"));
      const args = serveArgs({
        modelId: models[index]?.modelId as bigint,
        modelDir,
        stateDir,
        router: routerUrl,
        chainFlags,
        extra: ["--max-wait-ms", "1", "--channel-ttl-ms", "600000", "--no-redeem-on-exit"],
      });
      const process = TributaryProcess.spawn(args, envWithKey("TRIBUTARY_PROVIDER_KEY", wallet.privateKey));
      processes.push(process);
      urls.push(
        ((await process.waitFor(/^serving model \d+ \(0x[0-9a-f]{64}\) at (\S+) as /)) as string[])[1] as string,
      );
      await process.waitFor(/^announced to /);
    }

    // Channels: one per worker and provider for each mode, and one per provider for the sequential runs.
    const { contracts } = chain.system.deployment;
    const signer = buyer.connect(rpc);
    const count = (WORKERS + 1) * PROVIDERS * 2;
    const deposit = PRICE * 10_000n;
    await (
      await connectTributaryToken(contracts.TributaryToken, signer).approve(
        contracts.PaymentChannels,
        deposit * BigInt(count),
      )
    ).wait();
    const channels = connectPaymentChannels(contracts.PaymentChannels, signer);
    const expiry = BigInt((await rpc.getBlock("latest"))?.timestamp ?? 0) + 86_400n;
    const deployment = { chainId: BigInt(chain.chainId), contract: contracts.PaymentChannels.toLowerCase() as Address };
    const open = async (index: number) => {
      await (
        await channels.open(providers[index]?.address as string, contracts.TributaryToken, deposit, expiry)
      ).wait();
      return {
        provider: providers[index]?.address as string,
        payer: new ChannelPayer(buyer, deployment, await channels.channelCount()),
      };
    };
    const set = async () => {
      const perProvider: Awaited<ReturnType<typeof open>>[][] = [];
      for (let index = 0; index < PROVIDERS; index++) {
        const own = [];
        for (let n = 0; n <= WORKERS; n++) own.push(await open(index));
        perProvider.push(own);
      }
      return perProvider;
    };
    const directChannels = await set();
    const routedChannels = await set();

    // Direct: each worker a client per provider on its own channel, requests round robin over the providers.
    const direct = await Promise.all(
      directChannels.map((own, index) =>
        Promise.all(own.map((channel) => InferenceClient.connect(urls[index] as string, { payer: channel.payer }))),
      ),
    );
    let turn = 0;
    const client = (index: number, slot: number) => (direct[index] as InferenceClient[])[slot] as InferenceClient;
    const directLatency = await sequential(() => client(0, WORKERS).predict([EXAMPLE]));
    const directRate = await throughput((worker) => client(turn++ % PROVIDERS, worker).predict([EXAMPLE]));

    // Through the router: the sequential client offers its own channel at each provider; each worker too.
    const routed = async (slot: number) =>
      RoutedInferenceClient.connect(routerUrl, models[0]?.modelId as bigint, {
        channels: routedChannels.map((own) => own[slot] as Awaited<ReturnType<typeof open>>),
      });
    const alone = await routed(WORKERS);
    const routedLatency = await sequential(() => alone.predict([EXAMPLE]));
    const workers = await Promise.all(Array.from({ length: WORKERS }, (_, slot) => routed(slot)));
    const routedRate = await throughput((worker) => (workers[worker] as RoutedInferenceClient).predict([EXAMPLE]));

    const overheadMs = routedLatency.p50 - directLatency.p50;
    const loss = 1 - routedRate / directRate;
    const rows: [string, string, string][] = [
      [
        "direct, one request at a time",
        `p50 ${directLatency.p50.toFixed(2)} ms`,
        `p90 ${directLatency.p90.toFixed(2)} ms (baseline)`,
      ],
      [
        "through the router, one at a time",
        `p50 ${routedLatency.p50.toFixed(2)} ms`,
        `p90 ${routedLatency.p90.toFixed(2)} ms, +${overheadMs.toFixed(2)} ms p50 (target ≤ 2 ms)`,
      ],
      [`direct, ${WORKERS} buyers' requests at once`, `${Math.round(directRate)} requests/s`, "baseline"],
      [
        `through the router, ${WORKERS} at once`,
        `${Math.round(routedRate)} requests/s`,
        `${(loss * 100).toFixed(1)} % loss (target ≤ 10 %)`,
      ],
    ];
    console.log(
      `router benchmark — ${new Date().toISOString()}, Node ${process.version}, ${PROVIDERS} providers, model 2×3 → 5 → 3`,
    );
    const width = Math.max(...rows.map(([name]) => name.length));
    for (const [name, value, note] of rows) console.log(`${name.padEnd(width)}  ${value.padStart(20)}  ${note}`);
    console.log(
      JSON.stringify({
        providers: PROVIDERS,
        workers: WORKERS,
        directP50Ms: Number(directLatency.p50.toFixed(3)),
        routedP50Ms: Number(routedLatency.p50.toFixed(3)),
        overheadP50Ms: Number(overheadMs.toFixed(3)),
        directPerS: Math.round(directRate),
        routedPerS: Math.round(routedRate),
        throughputLoss: Number(loss.toFixed(4)),
      }),
    );
  } finally {
    for (const process of processes) await process.stop("SIGKILL");
    await deployed.stop();
  }
}

await main();
