import { mkdtemp, writeFile } from "node:fs/promises";
import path from "node:path";
import type { LocalChain } from "@tributary/contracts/local-chain";
import { connectPaymentChannels, connectTributaryToken } from "@tributary/contracts/typed";
import type { RegisteredModel } from "@tributary/inference-provider";
import { type Address, announcementToWire, signAnnouncement } from "@tributary/protocol";
import { Command } from "commander";
import type { JsonRpcProvider, Wallet } from "ethers";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { serveModel } from "../../../inference-provider/test-support/provider-world.js";
import { startLocalRouter } from "../../../inference-router/test-support/local-router.js";
import type { DeployedChain } from "../../test-support/deployed-chain.js";
import { captured, jsonLine, tributary } from "../../test-support/run-tributary.js";
import { freePort, startServedModelWorld } from "../../test-support/served-model-world.js";
import { Output } from "../chain/output.js";
import { RouterAnnouncer } from "../provider/router-announcer.js";
import { registerProviderCommand } from "./provider.js";
import { registerRouterCommand } from "./router.js";

const E18 = 10n ** 18n;
const PRICE = 1_000n;

let deployed: DeployedChain;
let chain: LocalChain;
let rpc: JsonRpcProvider;
let providerWallet: Wallet;
let buyer: Wallet;
let model: RegisteredModel;
let modelDir: string;
let inputFile: string;

beforeAll(async () => {
  ({ deployed, chain, rpc, providerWallet, buyer, model, modelDir } = await startServedModelWorld(3, PRICE));
  inputFile = path.join(deployed.dir, "inputs.json");
  await writeFile(
    inputFile,
    JSON.stringify([
      [
        [0.5, -1, 2],
        [1, 0, -0.5],
      ],
    ]),
  );
});

afterAll(async () => {
  await deployed?.stop();
});

afterEach(() => {
  vi.unstubAllEnvs();
});

const chainFlags = () => ["--rpc", chain.url, "--deployment", deployed.deploymentFile];

/** A stop signal a test fires, and the promise `serve` waits on. */
function stopper() {
  let stop = () => {};
  const stopped = new Promise<void>((resolve) => {
    stop = resolve;
  });
  return { stop, stopped };
}

/** `tributary router serve` in process on a free port; resolves with its URL once it listens. */
async function startRouter(...args: string[]) {
  const { stop, stopped } = stopper();
  let listening: (url: string) => void = () => {};
  const url = new Promise<string>((resolve) => {
    listening = resolve;
  });
  const program = new Command().exitOverride();
  registerRouterCommand(program, { stop: stopped, onListening: listening });
  const serving = captured(() =>
    program.parseAsync(["node", "tributary", "router", "serve", "--port", "0", "--json", ...args, ...chainFlags()]),
  );
  return { url: await url, stop, serving };
}

/** `tributary provider serve --router` in process; resolves once it listens. */
async function startProvider(...args: string[]) {
  const { stop, stopped } = stopper();
  const port = await freePort();
  const program = new Command().exitOverride();
  registerProviderCommand(program, { stop: stopped });
  const serving = captured(() =>
    program.parseAsync([
      "node",
      "tributary",
      "provider",
      "serve",
      "--model",
      String(model.modelId),
      "--model-dir",
      modelDir,
      "--port",
      String(port),
      "--state-dir",
      path.join(deployed.dir, "provider-state"),
      "--backend",
      "wasm",
      ...args,
      ...chainFlags(),
    ]),
  );
  return { url: `http://127.0.0.1:${port}`, stop, serving };
}

async function openChannel(): Promise<bigint> {
  const signer = buyer.connect(rpc);
  const { contracts } = chain.system.deployment;
  await (await connectTributaryToken(contracts.TributaryToken, signer).approve(contracts.PaymentChannels, E18)).wait();
  const channels = connectPaymentChannels(contracts.PaymentChannels, signer);
  const now = BigInt((await rpc.getBlock("latest"))?.timestamp ?? 0);
  await (await channels.open(providerWallet.address, contracts.TributaryToken, E18, now + 86_400n)).wait();
  return channels.channelCount();
}

describe("tributary router serve, provider serve --router, model predict", () => {
  it("router serve listens for announcements and predictions until it is stopped", async () => {
    const router = await startRouter();
    expect((await fetch(`${router.url}/ready`)).status).toBe(200);
    const listed = (await (await fetch(`${router.url}/v1/models/${model.modelId}/providers`)).json()) as {
      modelHash: string;
      providers: unknown[];
    };
    expect(listed).toMatchObject({ modelHash: model.modelHash, providers: [] });
    router.stop();
    const stopped = await router.serving;
    expect(stopped.code).toBe(0);
    expect(jsonLine(stopped.stdout)).toMatchObject({ ok: true, action: "router serve", url: router.url });
  });

  it("router serve --announce-rate and --announce-ip-rate limit announcements per provider and per IP (429)", async () => {
    const router = await startRouter("--announce-rate", "1", "--announce-ip-rate", "3");
    const post = async (wallet: Wallet) => {
      const now = BigInt(Math.floor(Date.now() / 1000));
      const { contracts } = chain.system.deployment;
      const signed = await signAnnouncement(
        wallet,
        { chainId: BigInt(chain.chainId), modelRegistry: contracts.ModelRegistry.toLowerCase() as Address },
        {
          modelId: model.modelId,
          provider: wallet.address.toLowerCase() as Address,
          endpoint: "http://127.0.0.1:9",
          pricePerExample: PRICE,
          issuedAt: now,
          expiresAt: now + 600n,
        },
      );
      const response = await fetch(`${router.url}/v1/announcements`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(announcementToWire(signed)),
      });
      const { error } = (await response.json()) as { error: { code: string; details: { by?: string } } };
      return { status: response.status, code: error.code, by: error.details?.by };
    };
    // Signed, so counted, and refused for what they say (nothing serves at the endpoint; the buyer lists no model):
    // one per provider a minute, three per IP.
    expect(await post(providerWallet)).toMatchObject({ status: 502, code: "ENDPOINT_UNREACHABLE" });
    expect(await post(providerWallet)).toEqual({ status: 429, code: "ANNOUNCEMENT_RATE_LIMITED", by: "provider" });
    expect(await post(buyer)).toMatchObject({ status: 403, code: "NOT_MODEL_PROVIDER" });
    expect(await post(buyer)).toEqual({ status: 429, code: "ANNOUNCEMENT_RATE_LIMITED", by: "ip" });
    router.stop();
    expect((await router.serving).code).toBe(0);
  });

  it("model predict pays the provider the router picks, and carries on from its state in the next session", {
    timeout: 120_000,
  }, async () => {
    const router = await startLocalRouter(chain, rpc);
    const service = await serveModel({
      chain,
      rpc,
      wallet: providerWallet,
      model,
      stateDir: await mkdtemp(path.join(deployed.dir, "provider-")),
    });
    const announcer = await RouterAnnouncer.start(new Output(true), providerWallet, {
      router: router.url,
      deployment: { chainId: BigInt(chain.chainId), modelRegistry: service.info.modelRegistry },
      modelId: model.modelId,
      endpoint: service.url,
      pricePerExample: PRICE,
      ttlS: 600,
    });
    try {
      const channelId = await openChannel();
      vi.stubEnv("TRIBUTARY_BUYER_KEY", buyer.privateKey);
      const stateDir = await mkdtemp(path.join(deployed.dir, "buyer-"));
      const predict = (...extra: string[]) =>
        tributary(
          "model",
          "predict",
          String(model.modelId),
          "--router",
          router.url,
          "--input",
          inputFile,
          "--state-dir",
          stateDir,
          ...extra,
          ...chainFlags(),
        );
      const first = await predict("--json");
      expect(first.stderr).toBe("");
      expect(jsonLine(first.stdout)).toMatchObject({
        ok: true,
        predictions: [{ provider: providerWallet.address.toLowerCase(), price: String(PRICE), attempts: [] }],
        channels: [{ channelId: String(channelId), served: String(PRICE), requests: 1 }],
      });
      // The second session signs on from what the first kept (a fresh start would underpay and be refused).
      const second = await predict("--repeat", "2");
      expect(second.stderr).toBe("");
      expect(second.stdout).toMatch(/^model \d+ through http:\/\/127\.0\.0\.1:\d+: 2 answer\(s\)$/m);
      expect(second.stdout).toMatch(new RegExp(`channel ${channelId}\\s+served ${3n * PRICE}\\s+answers 3`));
      expect(service.store.accounts.get(channelId.toString())).toMatchObject({ served: 3n * PRICE });
    } finally {
      announcer.stop();
      await service.close();
      await router.close();
    }
  });

  it("provider serve stops with the router's reason when its announcement is refused", async () => {
    const router = await startLocalRouter(chain, rpc);
    vi.stubEnv("TRIBUTARY_PROVIDER_KEY", providerWallet.privateKey);
    const refused = await startProvider("--router", router.url, "--public-url", "http://127.0.0.1:1");
    const result = await refused.serving;
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /^tributary: router http:\/\/127\.0\.0\.1:\d+ refused the announcement: http:\/\/127\.0\.0\.1:1\/v1\/model did not answer: .*\n$/,
    );
    // It stopped serving too.
    await expect(fetch(`${refused.url}/health`)).rejects.toThrow();
    await router.close();
  });

  it("model predict refuses an unknown model, a buyer without a channel, a bad input file, an unreachable router", async () => {
    const stranger = await chain.fundedWallet({ tokens: E18 });
    const predict = (id: string, input: string, router = "http://127.0.0.1:1") =>
      tributary(
        "model",
        "predict",
        id,
        "--router",
        router,
        "--input",
        input,
        "--state-dir",
        deployed.dir,
        ...chainFlags(),
      );
    vi.stubEnv("TRIBUTARY_BUYER_KEY", stranger.privateKey);
    expect(await predict("99", inputFile)).toMatchObject({
      code: 1,
      stderr: "tributary: ModelRegistry has no model 99\n",
    });
    const none = await predict(String(model.modelId), inputFile);
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/^tributary: 0x[0-9a-f]{40} has no open channel in the model's token: open one/);
    const notJson = path.join(deployed.dir, "not.json");
    await writeFile(notJson, "[[1, 2,");
    const bad = await predict(String(model.modelId), notJson);
    expect([bad.code, bad.stderr]).toEqual([2, expect.stringMatching(/^tributary: --input .*not\.json: /)]);
    vi.stubEnv("TRIBUTARY_BUYER_KEY", buyer.privateKey);
    const unreachable = await predict(String(model.modelId), inputFile);
    expect([unreachable.code, unreachable.stderr]).toEqual([
      1,
      "tributary: router http://127.0.0.1:1 cannot be reached\n",
    ]);
    const usage = await tributary("model", "predict", "1", "--input", inputFile, ...chainFlags());
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/required option '--router <url>' not specified/);
  });
});
