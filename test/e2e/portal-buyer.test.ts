import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { LocalChain } from "@tributary/contracts/local-chain";
import {
  connectModelRegistry,
  connectPaymentChannels,
  connectStaking,
  connectTributaryToken,
} from "@tributary/contracts/typed";
import type { Coordinator } from "@tributary/coordinator";
import type { ProviderService, RegisteredModel } from "@tributary/inference-provider";
import { buildModel, getFlatWeights, initModelBackend } from "@tributary/model-runtime";
import { type Address, type Bytes32, ModelSpecSchema, recoverReceiptSigner, tensorHash } from "@tributary/protocol";
import { formatEther, parseEther, type Wallet } from "ethers";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../../cli/test-support/served-model-world.js";
import { DATABASES } from "../../coordinator/test-support/databases.js";
import { startChainCoordinator } from "../../coordinator/test-support/on-chain-job.js";
import { serveModel } from "../../inference-provider/test-support/provider-world.js";
import { connectDevAccount, ensurePortalBuilt, launchChromium, screenshot } from "./helpers/portal-browser.js";

/** An MNIST-shaped classifier (28×28 grey levels → 10 classes), its weights drawn with a fixed seed. */
const MNIST_SPEC = ModelSpecSchema.parse({
  inputShape: [28, 28, 1],
  layers: [{ type: "flatten" }, { type: "dense", units: 10, activation: "softmax" }],
  loss: "categoricalCrossentropy",
  numClasses: 10,
});
const LICENCE_PRICE = parseEther("5");
const PRICE_PER_REQUEST = parseEther("0.01");

let chain: LocalChain;
let coordinator: Coordinator;
let service: ProviderService;
let browser: Browser;
let providerWallet: Wallet;
let buyer: Wallet;
let model: RegisteredModel;
let workDir: string;

/**
 * A real coordinator on a local chain serving the built portal, a model registered on ModelRegistry by a provider
 * that stakes for it and serves it at the endpoint it registered (the inference provider, CORS open to the portal's
 * origin), and a funded buyer the development wallet lists as "model buyer".
 */
beforeAll(async () => {
  const dist = await ensurePortalBuilt();
  workDir = await mkdtemp(path.join(tmpdir(), "tributary-portal-buyer-"));
  chain = await LocalChain.start();
  const { contracts } = chain.system.deployment;
  const db = await (DATABASES[0] as (typeof DATABASES)[number]).setup();
  const [sender, provider, buyerWallet] = (await chain.fundedWallets(3, { tokens: 10_000n * 10n ** 18n })) as [
    Wallet,
    Wallet,
    Wallet,
  ];
  providerWallet = provider;
  buyer = buyerWallet;
  const devWalletFile = path.join(workDir, "dev-wallet.json");
  coordinator = await startChainCoordinator(
    chain,
    db,
    sender,
    {},
    { portal: { dir: dist, devWalletFile, contracts: { PaymentChannels: contracts.PaymentChannels } } },
  );
  await writeFile(
    devWalletFile,
    JSON.stringify({
      rpcUrl: chain.url,
      accounts: [{ label: "model buyer", role: "buyer", privateKey: buyer.privateKey }],
    }),
  );

  await initModelBackend({ prefer: ["wasm", "cpu"], log: () => {} });
  const built = buildModel(MNIST_SPEC, { seed: 17 });
  const weights = getFlatWeights(built);
  built.dispose();
  const rpc = chain.provider();
  const signer = provider.connect(rpc);
  const registry = connectModelRegistry(contracts.ModelRegistry, signer);
  const { minModelStake } = await registry.parameters();
  await (
    await connectTributaryToken(contracts.TributaryToken, signer).approve(contracts.Staking, minModelStake)
  ).wait();
  await (await connectStaking(contracts.Staking, signer).stake(minModelStake)).wait();
  const port = await freePort();
  const modelHash = tensorHash(weights) as Bytes32;
  await (
    await registry.registerModel({
      modelHash,
      modelURI: "ipfs://model",
      endpoint: `http://127.0.0.1:${port}`,
      pricePerToken: PRICE_PER_REQUEST,
      licensePrice: LICENCE_PRICE,
      paymentToken: contracts.TributaryToken,
      jobId: 0n,
      stake: minModelStake,
    })
  ).wait();
  model = {
    modelId: await registry.modelCount(),
    modelHash,
    spec: MNIST_SPEC,
    weights,
    pricePerExample: PRICE_PER_REQUEST,
    paymentToken: contracts.TributaryToken.toLowerCase(),
  };
  service = await serveModel({
    chain,
    rpc,
    wallet: provider,
    model,
    stateDir: path.join(workDir, "provider"),
    port,
    corsOrigins: [new URL(coordinator.url).origin],
  });
  browser = await launchChromium();
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await service?.close();
  await coordinator?.close();
  await chain?.stop();
  await rm(workDir, { recursive: true, force: true });
});

describe("the model buyer's page in Chromium", () => {
  it("buys a licence, opens a channel, pays two predictions of a picked digit: receipts check, spend = price × requests; after a reload pays the third on the same channel", async () => {
    const { contracts } = chain.system.deployment;
    const rpc = chain.provider();
    const token = connectTributaryToken(contracts.TributaryToken, rpc);
    const registry = connectModelRegistry(contracts.ModelRegistry, rpc);
    const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
    await page.goto(`${coordinator.url}/portal/#/buyer`);
    await connectDevAccount(page, "model buyer", false);
    await page.getByRole("heading", { name: "Models for sale" }).waitFor({ timeout: 30_000 });
    await page.getByRole("button", { name: `Open model ${model.modelId}` }).click();

    // The licence: its price is shown before anything is sent, and exactly that leaves the buyer's balance.
    await page.getByText("The licence costs 5.0 TRIB").waitFor();
    const before = await token.balanceOf(buyer.address);
    await page.getByRole("button", { name: "Buy licence for 5.0 TRIB" }).click();
    await page.getByTestId("licence-held").waitFor({ timeout: 30_000 });
    expect(await registry.hasLicense(model.modelId, buyer.address)).toBe(true);
    expect(before - (await token.balanceOf(buyer.address))).toBe(LICENCE_PRICE);

    // The channel: 1 TRIB escrowed on PaymentChannels for the model's provider.
    await page.getByLabel("Deposit (TRIB)").fill("1");
    await page.getByRole("button", { name: "Open a channel with 1.0 TRIB" }).click();
    await page.getByTestId("channel-open").waitFor({ timeout: 30_000 });
    const channels = connectPaymentChannels(contracts.PaymentChannels, rpc);
    const channelId = await channels.channelCount();
    const channel = await channels.getChannel(channelId);
    expect(channel.provider.toLowerCase()).toBe(providerWallet.address.toLowerCase());
    expect(channel.deposit).toBe(parseEther("1"));

    // Two paid requests of the sample "7", picked from the keyboard's list.
    await page.getByLabel("Or pick a sample digit").selectOption("7");
    const predict = page.getByRole("button", { name: /^Predict/ });
    for (const expected of ["1", "2"]) {
      await predict.click();
      await page.getByTestId("spend-requests").filter({ hasText: expected }).waitFor({ timeout: 30_000 });
    }
    const predicted = (await page.getByTestId("predicted-class").textContent()) ?? "";
    expect(predicted).toMatch(/The model reads \d \(/);

    // The last receipt, checked here independently: the provider's signature, its outputs' hash, the model, the price.
    const shown = JSON.parse((await page.getByTestId("receipt-json").textContent()) ?? "{}") as {
      receipt: { requestId: Bytes32; modelHash: Bytes32; requestHash: Bytes32; responseHash: Bytes32; price: string };
      signature: string;
      outputs: number[][];
    };
    const receipt = { ...shown.receipt, price: BigInt(shown.receipt.price) };
    const signer = recoverReceiptSigner(
      { chainId: BigInt(chain.chainId), modelRegistry: contracts.ModelRegistry.toLowerCase() as Address },
      receipt,
      shown.signature,
    );
    expect(signer.toLowerCase()).toBe(providerWallet.address.toLowerCase());
    expect(receipt.modelHash).toBe(model.modelHash);
    expect(receipt.price).toBe(PRICE_PER_REQUEST);
    expect(receipt.responseHash).toBe(tensorHash(Float32Array.from(shown.outputs.flat())));
    const digit = Number(/reads (\d)/.exec(predicted)?.[1]);
    const outputs = shown.outputs[0] as number[];
    expect(outputs.indexOf(Math.max(...outputs))).toBe(digit);

    // The spend shown is the price times the requests answered; the provider holds a voucher for exactly that.
    expect(await page.getByTestId("spend-served").textContent()).toBe(`${formatEther(PRICE_PER_REQUEST * 2n)} TRIB`);
    expect(await page.getByTestId("spend-signed").textContent()).toBe(`${formatEther(PRICE_PER_REQUEST * 2n)} TRIB`);
    const held = service.store.accounts.get(String(channelId));
    expect(held?.served).toBe(PRICE_PER_REQUEST * 2n);
    expect(held?.redeemable).toBe(PRICE_PER_REQUEST * 2n);
    await screenshot(page, "buyer-prediction");

    // A reload mid-session: the channel and its last voucher are kept in this browser, so the page goes on paying on
    // the same channel with the next cumulative amount (a page that forgot would sign 0.01 again: the provider, which
    // served 0.02, would refuse it) and opens no other channel.
    await page.reload();
    await connectDevAccount(page, "model buyer", false);
    await page.getByRole("button", { name: `Open model ${model.modelId}` }).click();
    await page
      .getByTestId("channel-open")
      .filter({ hasText: `Channel ${channelId} is open` })
      .waitFor({ timeout: 30_000 });
    await page.getByTestId("spend-requests").filter({ hasText: "2" }).waitFor({ timeout: 30_000 });
    await page.getByLabel("Or pick a sample digit").selectOption("3");
    await page.getByRole("button", { name: /^Predict/ }).click();
    await page.getByTestId("spend-requests").filter({ hasText: "3" }).waitFor({ timeout: 30_000 });
    expect(await channels.channelCount()).toBe(channelId);
    const resumed = service.store.accounts.get(String(channelId));
    expect(resumed?.served).toBe(PRICE_PER_REQUEST * 3n);
    expect(resumed?.redeemable).toBe(PRICE_PER_REQUEST * 3n);
    expect(await page.getByTestId("spend-signed").textContent()).toBe(`${formatEther(PRICE_PER_REQUEST * 3n)} TRIB`);
    await screenshot(page, "buyer-after-reload");
    rpc.destroy();
    await page.close();
  });

  it("the provider answers CORS for the portal's origin only", async () => {
    const ask = (origin: string) => fetch(`${service.url}/v1/model`, { headers: { origin } });
    const portal = new URL(coordinator.url).origin;
    expect((await ask(portal)).headers.get("access-control-allow-origin")).toBe(portal);
    expect((await ask("http://elsewhere.example")).headers.get("access-control-allow-origin")).toBeNull();
  });
});
