import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { ChannelPayer, InferenceClient, type Prediction } from "@tributary/buyer";
import type { LocalChain } from "@tributary/contracts/local-chain";
import { connectPaymentChannels, connectTributaryToken } from "@tributary/contracts/typed";
import type { RegisteredModel } from "@tributary/inference-provider";
import { weightsToBytes } from "@tributary/protocol";
import { Command } from "commander";
import type { JsonRpcProvider, Wallet } from "ethers";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { registerModel, WORLD_SPEC, worldWeights } from "../../../inference-provider/test-support/provider-world.js";
import { type DeployedChain, startDeployedChain } from "../../test-support/deployed-chain.js";
import { captured, jsonLine, tributary } from "../../test-support/run-tributary.js";
import { registerProviderCommand } from "./provider.js";

const E18 = 10n ** 18n;
const PRICE = 1_000n;

let deployed: DeployedChain;
let chain: LocalChain;
let rpc: JsonRpcProvider;
let providerWallet: Wallet;
let buyer: Wallet;
let model: RegisteredModel;
let modelDir: string;

async function writeModelDir(dir: string, weights: Float32Array): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, "weights.f32"), weightsToBytes(weights));
  const spec = { name: "served", model: WORLD_SPEC, datasetIds: ["1"], rounds: 1, learningRate: 0.1 };
  await writeFile(path.join(dir, "job-spec.json"), JSON.stringify(spec));
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  return typeof address === "object" && address !== null ? address.port : 0;
}

beforeAll(async () => {
  deployed = await startDeployedChain();
  ({ chain, dir: modelDir } = deployed);
  rpc = deployed.provider;
  [providerWallet, buyer] = (await chain.fundedWallets(2, { tokens: 10_000n * E18 })) as [Wallet, Wallet];
  model = await registerModel(chain, providerWallet, await worldWeights(11), PRICE);
  modelDir = path.join(deployed.dir, "model");
  await writeModelDir(modelDir, model.weights);
});

afterAll(async () => {
  await deployed?.stop();
});

afterEach(() => {
  vi.unstubAllEnvs();
});

const chainFlags = () => ["--rpc", chain.url, "--deployment", deployed.deploymentFile];

/** Runs `tributary provider …` in process, `serve` stopping when `stop` resolves. */
function provider(stop: Promise<void> | undefined, ...args: string[]) {
  const program = new Command().exitOverride();
  registerProviderCommand(program, { ...(stop === undefined ? {} : { stop }) });
  return captured(() => program.parseAsync(["node", "tributary", "provider", ...args, ...chainFlags()]));
}

async function openChannel(deposit: bigint): Promise<bigint> {
  const signer = buyer.connect(rpc);
  const { contracts } = chain.system.deployment;
  await (
    await connectTributaryToken(contracts.TributaryToken, signer).approve(contracts.PaymentChannels, deposit)
  ).wait();
  const channels = connectPaymentChannels(contracts.PaymentChannels, signer);
  const now = BigInt((await rpc.getBlock("latest"))?.timestamp ?? 0);
  await (await channels.open(providerWallet.address, contracts.TributaryToken, deposit, now + 86_400n)).wait();
  return channels.channelCount();
}

async function until(check: () => Promise<boolean>): Promise<void> {
  for (let attempt = 0; attempt < 600; attempt++) {
    if (await check().catch(() => false)) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error("condition not reached");
}

/** Starts `tributary provider serve` on a free port with `args`; resolves once it is ready. */
async function startServe(stateDir: string, ...args: string[]) {
  const port = await freePort();
  let stop = () => {};
  const stopped = new Promise<void>((resolve) => {
    stop = resolve;
  });
  const serving = provider(
    stopped,
    "serve",
    "--model",
    String(model.modelId),
    "--model-dir",
    modelDir,
    "--port",
    String(port),
    "--state-dir",
    stateDir,
    "--backend",
    "wasm",
    ...args,
  );
  const url = `http://127.0.0.1:${port}`;
  await until(async () => (await fetch(`${url}/ready`)).ok);
  return { url, stop, serving };
}

/** A client of the provider at `url`, paying on a new channel of 10 TRIB. */
async function payingClient(url: string) {
  const channelId = await openChannel(10n * E18);
  const contract = chain.system.deployment.contracts.PaymentChannels.toLowerCase() as `0x${string}`;
  const payer = new ChannelPayer(buyer, { chainId: BigInt(chain.chainId), contract }, channelId);
  const client = await InferenceClient.connect(url, {
    payer,
    expect: { provider: providerWallet.address, modelHash: model.modelHash },
  });
  return { channelId, client };
}

const EXAMPLE = [
  [0.5, -1, 2],
  [1, 0, -0.5],
];

describe("tributary provider serve", () => {
  it("refuses weights that are not the registered model's, and a key that is not its provider", async () => {
    vi.stubEnv("TRIBUTARY_PROVIDER_KEY", providerWallet.privateKey);
    const altered = Float32Array.from(model.weights);
    altered[0] = (altered[0] as number) + 1e-3;
    const wrongDir = path.join(deployed.dir, "altered");
    await writeModelDir(wrongDir, altered);
    const wrong = await provider(undefined, "serve", "--model", String(model.modelId), "--model-dir", wrongDir);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(
      /^tributary: .*weights\.f32 has SHA-256 0x[0-9a-f]{64}, but model \d+'s modelHash on ModelRegistry is/,
    );
    vi.stubEnv("TRIBUTARY_PROVIDER_KEY", buyer.privateKey);
    const stranger = await provider(undefined, "serve", "--model", String(model.modelId), "--model-dir", modelDir);
    expect(stranger.code).toBe(1);
    expect(stranger.stderr).toContain(`${buyer.address} is neither model ${model.modelId}'s provider`);
    const unknown = await provider(undefined, "serve", "--model", "999", "--model-dir", modelDir);
    expect([unknown.code, unknown.stderr]).toEqual([1, expect.stringContaining("has no model 999")]);
  });

  it("serves paid requests, finishes those in flight when stopped, and redeems the vouchers once", {
    timeout: 120_000,
  }, async () => {
    vi.stubEnv("TRIBUTARY_PROVIDER_KEY", providerWallet.privateKey);
    const stateDir = await mkdtemp(path.join(tmpdir(), "tributary-serve-"));
    // A batch of 8 never fills with 3 one-example requests, and never times out: they are in flight at the stop.
    const { url, stop, serving } = await startServe(
      stateDir,
      ...["--max-batch", "8", "--max-wait-ms", "600000", "--channel-ttl-ms", "0", "--json"],
    );
    const { channelId, client } = await payingClient(url);
    // One at a time into the queue, so the vouchers arrive in the order they were signed.
    const queued = (n: number) => async () =>
      new RegExp(`^tributary_provider_queued_examples ${n}$`, "m").test(await (await fetch(`${url}/metrics`)).text());
    const answers: Promise<Prediction>[] = [];
    for (const n of [1, 2, 3]) {
      answers.push(client.predict([EXAMPLE]));
      await until(queued(n));
    }
    const balanceBefore = await connectTributaryToken(chain.system.deployment.contracts.TributaryToken, rpc).balanceOf(
      providerWallet.address,
    );
    stop();
    const predictions = await Promise.all(answers);
    expect(predictions.map((p) => p.batchSize)).toEqual([3, 3, 3]);
    const result = await serving;
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    const line = jsonLine(result.stdout) as {
      redemptions: { channelId: string; amount: string; received: string; outcome: string }[];
    };
    expect(line.redemptions).toEqual([
      expect.objectContaining({
        channelId: String(channelId),
        amount: String(3n * PRICE),
        received: String(3n * PRICE),
        outcome: "redeemed",
      }),
    ]);
    const channels = connectPaymentChannels(chain.system.deployment.contracts.PaymentChannels, rpc);
    expect((await channels.getChannel(channelId)).paid).toBe(3n * PRICE);
    const token = connectTributaryToken(chain.system.deployment.contracts.TributaryToken, rpc);
    expect((await token.balanceOf(providerWallet.address)) - balanceBefore).toBe(3n * PRICE);
    expect(client.spending()).toMatchObject({ signed: 3n * PRICE, accepted: 3n * PRICE, requests: 3 });

    // Redeemed once: a second redeem finds nothing, and the chain pays no more.
    const again = await provider(undefined, "redeem", "--state-dir", stateDir, "--json");
    expect(again.code).toBe(0);
    expect(jsonLine(again.stdout)).toMatchObject({ received: "0", redemptions: [] });
    expect((await channels.getChannel(channelId)).paid).toBe(3n * PRICE);
    await rm(stateDir, { recursive: true, force: true });
  });

  it("provider redeem redeems what a serve left unredeemed, and refuses a usage error with exit 2", async () => {
    vi.stubEnv("TRIBUTARY_PROVIDER_KEY", providerWallet.privateKey);
    const stateDir = await mkdtemp(path.join(tmpdir(), "tributary-serve-"));
    const { url, stop, serving } = await startServe(stateDir, "--no-redeem-on-exit");
    const { channelId, client } = await payingClient(url);
    await client.predict([EXAMPLE, EXAMPLE]);
    await client.predict([EXAMPLE]);
    stop();
    expect((await serving).code).toBe(0);
    const channels = connectPaymentChannels(chain.system.deployment.contracts.PaymentChannels, rpc);
    expect((await channels.getChannel(channelId)).paid).toBe(0n);
    const redeemed = await provider(undefined, "redeem", "--state-dir", stateDir);
    expect(redeemed.code).toBe(0);
    expect(redeemed.stdout).toMatch(/^redeem the voucher for 3000 on channel \d+: transaction 0x[0-9a-f]{64}$/m);
    expect((await channels.getChannel(channelId)).paid).toBe(3n * PRICE);
    const usage = await tributary("provider", "serve", "--model", "1", ...chainFlags());
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/required option '--model-dir <dir>' not specified/);
    await rm(stateDir, { recursive: true, force: true });
  });
});
