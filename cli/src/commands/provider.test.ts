import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { ChannelPayer, InferenceClient, type Prediction } from "@tributary/buyer";
import type { LocalChain } from "@tributary/contracts/local-chain";
import { connectModelRegistry, connectPaymentChannels, connectTributaryToken } from "@tributary/contracts/typed";
import type { RegisteredModel } from "@tributary/inference-provider";
import { commitmentCid, type ModelMetadataInput, ServedModelInfoSchema, weightsToBytes } from "@tributary/protocol";
import { Command } from "commander";
import type { JsonRpcProvider, Wallet } from "ethers";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { WORLD_SPEC } from "../../../inference-provider/test-support/provider-world.js";
import type { DeployedChain } from "../../test-support/deployed-chain.js";
import { captured, jsonLine, tributary } from "../../test-support/run-tributary.js";
import { freePort, startServedModelWorld, until, writeModelDir } from "../../test-support/served-model-world.js";
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

beforeAll(async () => {
  ({ deployed, chain, rpc, providerWallet, buyer, model, modelDir } = await startServedModelWorld(11, PRICE));
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
    await writeModelDir(wrongDir, WORLD_SPEC, altered);
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
    // Three buyers' channels, one request each (a channel carries one request at a time), queued one after another.
    const clients = [await payingClient(url), await payingClient(url), await payingClient(url)];
    const queued = (n: number) => async () =>
      new RegExp(`^tributary_provider_queued_examples ${n}$`, "m").test(await (await fetch(`${url}/metrics`)).text());
    const answers: Promise<Prediction>[] = [];
    for (const [index, { client }] of clients.entries()) {
      answers.push(client.predict([EXAMPLE]));
      await until(queued(index + 1));
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
    expect(line.redemptions).toEqual(
      clients.map(({ channelId }) =>
        expect.objectContaining({
          channelId: String(channelId),
          amount: String(PRICE),
          received: String(PRICE),
          outcome: "redeemed",
        }),
      ),
    );
    const channels = connectPaymentChannels(chain.system.deployment.contracts.PaymentChannels, rpc);
    for (const { channelId, client } of clients) {
      expect((await channels.getChannel(channelId)).paid).toBe(PRICE);
      expect(client.spending()).toMatchObject({ signed: PRICE, served: PRICE, requests: 1 });
    }
    const token = connectTributaryToken(chain.system.deployment.contracts.TributaryToken, rpc);
    expect((await token.balanceOf(providerWallet.address)) - balanceBefore).toBe(3n * PRICE);
    // Redeemed once: a second redeem finds nothing, and the chain pays no more.
    const again = await provider(undefined, "redeem", "--state-dir", stateDir, "--json");
    expect(again.code).toBe(0);
    expect(jsonLine(again.stdout)).toMatchObject({ received: "0", redemptions: [] });
    for (const { channelId } of clients) expect((await channels.getChannel(channelId)).paid).toBe(PRICE);
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

  it("serves a licensee's `model download` directory, and refuses metadata of other weights or no spec at all", {
    timeout: 60_000,
  }, async () => {
    const licensee = await chain.fundedWallet();
    const { contracts } = chain.system.deployment;
    await (
      await connectModelRegistry(contracts.ModelRegistry, licensee.connect(rpc)).purchaseLicense(model.modelId, 0n)
    ).wait();
    // What `model download` writes beside the weights: the model's metadata, whose JobSpec gives the layout.
    const metadata = (modelHash: string): ModelMetadataInput => ({
      version: 1,
      chainId: chain.chainId,
      trainingJobs: contracts.TrainingJobs,
      jobId: "0",
      modelHash,
      modelCid: commitmentCid(modelHash as `0x${string}`),
      parameters: model.weights.length,
      task: "classification",
      jobSpec: { name: "served", model: WORLD_SPEC, datasetIds: ["1"], rounds: 1, learningRate: 0.1 },
      validation: null,
      privacy: [],
    });
    const downloaded = async (name: string, meta?: ModelMetadataInput) => {
      const dir = path.join(deployed.dir, name);
      await mkdir(dir, { recursive: true });
      await writeFile(path.join(dir, "weights.f32"), weightsToBytes(model.weights));
      if (meta !== undefined) await writeFile(path.join(dir, "model-metadata.json"), JSON.stringify(meta));
      return dir;
    };
    vi.stubEnv("TRIBUTARY_PROVIDER_KEY", licensee.privateKey);
    const other = `0x${"ab".repeat(32)}`;
    const serveDir = (dir: string) =>
      provider(undefined, "serve", "--model", String(model.modelId), "--model-dir", dir);
    const mismatched = await serveDir(await downloaded("other-metadata", metadata(other)));
    expect(mismatched.code).toBe(1);
    expect(mismatched.stderr).toMatch(
      /model-metadata\.json describes model hash 0xabab.*, not the registered 0x[0-9a-f]{64}\n$/,
    );
    const bare = await serveDir(await downloaded("bare"));
    expect(bare.code).toBe(2);
    expect(bare.stderr).toMatch(/^tributary: --model-dir .*bare has neither job-spec\.json nor model-metadata\.json/);

    const stateDir = await mkdtemp(path.join(tmpdir(), "tributary-serve-"));
    const dir = await downloaded("licensed", metadata(model.modelHash));
    const { url, stop, serving } = await startServe(stateDir, "--model-dir", dir, "--no-redeem-on-exit");
    const info = ServedModelInfoSchema.parse(await (await fetch(`${url}/v1/model`)).json());
    expect(info).toMatchObject({ provider: licensee.address.toLowerCase(), modelHash: model.modelHash });
    stop();
    expect((await serving).code).toBe(0);
    await rm(stateDir, { recursive: true, force: true });
  });
});
