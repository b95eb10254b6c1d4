import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { connectModelRegistry, connectPaymentChannels, connectStaking } from "@tributary/contracts/typed";
import { type Coordinator, createCoordinator } from "@tributary/coordinator";
import { startProviderService } from "@tributary/inference-provider";
import { startRouterService } from "@tributary/inference-router";
import { initModelBackend } from "@tributary/model-runtime";
import { serveMetrics } from "@tributary/observability";
import { type Address, type Bytes32, ModelSpecSchema } from "@tributary/protocol";
import { TrainerMetrics } from "@tributary/trainer-agent";
import { JsonRpcProvider, Wallet } from "ethers";

/** The metric families one service's `/metrics` exposes: name → type (`# TYPE` lines). */
export type MetricFamilies = Map<string, string>;

/** A running service's `/metrics`, read over HTTP as Prometheus reads it. */
export async function metricFamilies(url: string): Promise<MetricFamilies> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`GET ${url} → ${response.status}`);
  const families: MetricFamilies = new Map();
  for (const match of (await response.text()).matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
    families.set(match[1] as string, match[2] as string);
  }
  return families;
}

/** Contract addresses nothing is deployed at, and a JSON-RPC endpoint nobody listens on: never called here. */
const NOWHERE = "http://127.0.0.1:9";
const ADDRESS = (digit: string) => `0x${digit.repeat(40)}`;

/**
 * A coordinator, an inference provider, a router and a trainer agent's metrics, each running and serving its
 * `/metrics` on 127.0.0.1 (the provider and router without a chain: they read it only for payments and
 * announcements, which no request makes here). `metricsUrls` are their endpoints.
 */
export async function startEveryService(): Promise<{
  coordinator: Coordinator;
  metricsUrls: Record<"coordinator" | "provider" | "router" | "trainer", string>;
  stop(): Promise<void>;
}> {
  const dir = await mkdtemp(path.join(tmpdir(), "tributary-ops-"));
  const rpc = new JsonRpcProvider(NOWHERE, 31_337, { staticNetwork: true });
  const coordinator = await createCoordinator(
    { port: 0, dataDir: path.join(dir, "coordinator"), tickSeconds: 0.1 },
    { logger: false },
  );
  await initModelBackend({ prefer: ["wasm"], log: () => {} });
  const spec = ModelSpecSchema.parse({
    inputShape: [4],
    layers: [{ type: "dense", units: 3, activation: "softmax" }],
    loss: "categoricalCrossentropy",
    numClasses: 3,
  });
  const wallet = Wallet.createRandom();
  const provider = await startProviderService({
    model: {
      modelId: 1n,
      modelHash: `0x${"ab".repeat(32)}` as Bytes32,
      spec,
      weights: new Float32Array(15),
      pricePerExample: 0n,
      paymentToken: ADDRESS("1"),
    },
    chainId: 31_337n,
    modelRegistry: ADDRESS("2"),
    channels: connectPaymentChannels(ADDRESS("3"), rpc),
    chain: rpc,
    privateKey: wallet.privateKey,
    address: wallet.address,
    stateDir: path.join(dir, "provider"),
    host: "127.0.0.1",
    port: 0,
    maxBatch: 8,
    maxWaitMs: 1,
    maxExamplesPerRequest: 8,
    bodyLimit: 1 << 16,
    channelTtlMs: 0,
    expiryMarginS: 0n,
  });
  const router = await startRouterService({
    chainId: 31_337n,
    modelRegistry: connectModelRegistry(ADDRESS("2"), rpc),
    staking: connectStaking(ADDRESS("4"), rpc),
    paymentChannels: ADDRESS("3") as Address,
    host: "127.0.0.1",
    port: 0,
    healthIntervalMs: 60_000,
    healthTimeoutMs: 1_000,
    standingIntervalMs: 60_000,
    attemptTimeoutMs: 1_000,
    maxAnnouncementTtlS: 600,
    connectionsPerProvider: 1,
    bodyLimit: 1 << 16,
  });
  const trainer = await serveMetrics(
    new TrainerMetrics("1", async () => ({ spentEpsilon: 0.5, budgetEpsilon: 8 })).registry,
    "127.0.0.1",
    0,
  );
  return {
    coordinator,
    metricsUrls: {
      coordinator: `${coordinator.url}/metrics`,
      provider: `${provider.url}/metrics`,
      router: `${router.url}/metrics`,
      trainer: trainer.url,
    },
    async stop() {
      await trainer.close();
      await router.close();
      await provider.close();
      await coordinator.close();
      rpc.destroy();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
