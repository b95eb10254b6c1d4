import { readFile, stat } from "node:fs/promises";
import path from "node:path";
import { type JobLedger, signIn } from "@tributary/protocol";
import { parseEther, type Wallet } from "ethers";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { type ModelWorld, stakeAs, startModelWorld } from "../../test-support/model-world.js";
import { expectTinyModelFiles } from "../../test-support/researcher-world.js";
import { jsonLine, tributary } from "../../test-support/run-tributary.js";
import { startTamperingProxy } from "../../test-support/tampering-proxy.js";

const PRICE = parseEther("20");

let model: ModelWorld;
let buyer: Wallet;

beforeAll(async () => {
  model = await startModelWorld();
  await stakeAs(model, model.researcher, "1000");
  vi.stubEnv("TRIBUTARY_PROVIDER_KEY", model.researcher.privateKey);
  const registered = await tributary(
    "model",
    "register",
    ...model.flags(),
    "--job",
    model.jobId,
    "--stake",
    "1000",
    "--price-per-token",
    "0.001",
    "--licence-price",
    "20",
  );
  expect(registered.code).toBe(0);
  vi.unstubAllEnvs();
  buyer = await model.world.chain.fundedWallet({ tokens: parseEther("100") });
});

afterAll(async () => {
  await model?.close();
});

afterEach(() => {
  vi.unstubAllEnvs();
});

const contracts = () => model.world.chain.system.contracts;
const as = (wallet: Wallet) => vi.stubEnv("TRIBUTARY_BUYER_KEY", wallet.privateKey);
const buy = (...extra: string[]) => tributary("model", "buy", "1", ...model.chainFlags(), ...extra);
const download = (dir: string, ...extra: string[]) =>
  tributary("model", "download", "1", ...model.flags(), "--out", path.join(model.world.dir, dir), ...extra);
const exists = (file: string) =>
  stat(file).then(
    () => true,
    () => false,
  );

describe("tributary model buy", () => {
  it("refuses a price above --max-price, a short balance and a short allowance under --no-approve, sending nothing", async () => {
    const poor = await model.world.chain.fundedWallet({ tokens: parseEther("10") });
    as(poor);
    const above = await buy("--max-price", "19.5", "--json");
    expect(above.code).toBe(1);
    expect(above.stderr).toBe(
      "tributary: model 1's licence costs 20 TRIB, above --max-price 19.5 TRIB: nothing was sent\n",
    );
    expect(jsonLine(above.stdout)).toMatchObject({ ok: false, error: { code: "PRICE_ABOVE_MAX" } });
    const short = await buy("--max-price", "20");
    expect(short.code).toBe(1);
    expect(short.stderr).toMatch(/needs 20 TRIB .* but 0x[0-9a-fA-F]{40} holds 10 TRIB: 10 TRIB more needed/);
    as(buyer);
    const unapproved = await buy("--max-price", "20", "--no-approve");
    expect(unapproved.code).toBe(1);
    expect(unapproved.stderr).toContain("it is allowed 0 TRIB (--no-approve)");
    expect(await contracts().models.hasLicense(1n, buyer.address)).toBe(false);
    expect(await model.world.chain.tokenBalance(buyer.address)).toBe(parseEther("100"));
  });

  it("buys a licence at the price, split between fee, provider, researcher and contributors as the contract defines", async () => {
    as(buyer);
    const { models, token } = contracts();
    const before = await model.world.chain.tokenBalance(buyer.address);
    const result = await buy("--max-price", "25", "--json");
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(await models.hasLicense(1n, buyer.address)).toBe(true);
    expect(before - (await model.world.chain.tokenBalance(buyer.address))).toBe(PRICE);
    // ModelRegistry's split (deployment defaults): a 2.5 % fee, then 70 % provider, 15 % researcher, 15 % contributors.
    const fee = (PRICE * 250n) / 10_000n;
    const researcherShare = ((PRICE - fee) * 1_500n) / 10_000n;
    const contributorShare = ((PRICE - fee) * 1_500n) / 10_000n;
    const providerShare = PRICE - fee - researcherShare - contributorShare;
    expect(jsonLine(result.stdout)).toMatchObject({
      ok: true,
      price: String(PRICE),
      fee: String(fee),
      providerShare: String(providerShare),
      researcherShare: String(researcherShare),
      contributorShare: String(contributorShare),
    });
    // The researcher registered its own model: it is credited both the provider's and the researcher's shares.
    expect(await models.pendingRevenue(model.researcher.address, token)).toBe(providerShare + researcherShare);
    expect(await models.contributorPool(1n)).toBe(contributorShare);
    const again = await buy("--max-price", "25");
    expect(again.code).toBe(1);
    expect(again.stderr).toBe(`tributary: ${buyer.address.toLowerCase()} already holds a licence for model 1\n`);
  });
});

describe("tributary model download", () => {
  it("refuses a key without a licence (the coordinator's 403), writing nothing", async () => {
    as(await model.world.chain.fundedWallet());
    const refused = await download("refused", "--json");
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(
      /^tributary: the coordinator refused model 1's weights \(403\): 0x[0-9a-f]{40} holds no licence for it/,
    );
    expect(jsonLine(refused.stdout)).toMatchObject({ ok: false, error: { code: "NO_LICENCE" } });
    expect(await exists(path.join(model.world.dir, "refused"))).toBe(false);
  });

  it("writes the licensed weights as a tfjs layers model, checked against the registered hash", async () => {
    as(buyer);
    const result = await download("licensed", "--json");
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    const registered = await contracts().models.getModel(1n);
    expect(jsonLine(result.stdout)).toMatchObject({
      ok: true,
      modelId: "1",
      sha256: registered.modelHash,
      parameters: 10,
    });
    const dir = path.join(model.world.dir, "licensed");
    await expectTinyModelFiles(dir);
    const metadata = JSON.parse(await readFile(path.join(dir, "model-metadata.json"), "utf8")) as { modelHash: string };
    expect(metadata.modelHash).toBe(registered.modelHash);
  });

  it("refuses weights that do not hash to the registered modelHash (a coordinator that lies), writing nothing", async () => {
    as(buyer);
    const { url } = model.world.coordinator;
    const { token } = await signIn(url, buyer, model.world.chain.chainId);
    const proxy = await startTamperingProxy(url, token, (route, body) => {
      if (!route.startsWith("/licensed-models/")) return undefined;
      const altered = Uint8Array.from(body);
      altered[0] = (altered[0] as number) ^ 1;
      return altered;
    });
    try {
      const dir = path.join(model.world.dir, "tampered");
      const result = await tributary(
        "model",
        "download",
        "1",
        ...model.chainFlags(),
        "--coordinator",
        proxy.url,
        "--out",
        dir,
      );
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(
        /^tributary: the weights the coordinator served for model 1 have SHA-256 0x[0-9a-f]{64}, but ModelRegistry registered 0x[0-9a-f]{64}: not writing them\n$/,
      );
      expect(await exists(dir)).toBe(false);
    } finally {
      await proxy.close();
    }
  });
});

describe("tributary claim --revenue", () => {
  it("pays a data owner pool × payout / payoutTotal of the licence revenue with the job's payout proof, once", async () => {
    const owner = model.world.owners[0] as Wallet;
    vi.stubEnv("TRIBUTARY_TRAINER_KEY", owner.privateKey);
    const { models, jobs } = contracts();
    const ledger = (await (
      await fetch(`${model.world.coordinator.url}/ledger/jobs/${model.jobId}`)
    ).json()) as JobLedger;
    const payout = BigInt(
      ledger.payout?.leaves.find((leaf) => leaf.trainer === owner.address.toLowerCase())?.amount ?? "0",
    );
    const { payoutTotal } = await jobs.getJob(BigInt(model.jobId));
    const due = ((await models.contributorPool(1n)) * payout) / payoutTotal;
    expect(due).toBeGreaterThan(0n);
    const before = await model.world.chain.tokenBalance(owner.address);
    const claim = (...extra: string[]) => tributary("claim", "--revenue", "--model", "1", ...model.flags(), ...extra);
    const result = await claim("--json");
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(jsonLine(result.stdout)).toMatchObject({ ok: true, amount: String(due), payout: String(payout) });
    expect((await model.world.chain.tokenBalance(owner.address)) - before).toBe(due);
    const again = await claim("--json");
    expect(again.code).toBe(1);
    expect(again.stderr).toContain(`has nothing new to claim from model 1`);
    expect(jsonLine(again.stdout)).toMatchObject({ ok: false, error: { code: "REVENUE_NOTHING_TO_CLAIM" } });
  });
});
