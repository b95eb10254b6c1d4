import type { LocalChain } from "@tributary/contracts/local-chain";
import { connectPaymentChannels, connectTributaryToken } from "@tributary/contracts/typed";
import type { JsonRpcProvider, Wallet } from "ethers";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { registerModel, worldWeights } from "../../../inference-provider/test-support/provider-world.js";
import { type DeployedChain, startDeployedChain } from "../../test-support/deployed-chain.js";
import { jsonLine, tributary } from "../../test-support/run-tributary.js";

const E18 = 10n ** 18n;
const DAY = 86_400;

let deployed: DeployedChain;
let chain: LocalChain;
let rpc: JsonRpcProvider;
let providerWallet: Wallet;
let buyer: Wallet;
let modelId: bigint;

beforeAll(async () => {
  deployed = await startDeployedChain();
  ({ chain } = deployed);
  rpc = deployed.provider;
  [providerWallet, buyer] = (await chain.fundedWallets(2, { tokens: 1_000n * E18 })) as [Wallet, Wallet];
  ({ modelId } = await registerModel(chain, providerWallet, await worldWeights(3), 1_000n));
});

afterAll(async () => {
  await deployed?.stop();
});

afterEach(() => {
  vi.unstubAllEnvs();
});

const channel = (...args: string[]) =>
  tributary("channel", ...args, "--rpc", chain.url, "--deployment", deployed.deploymentFile);
const channels = () => connectPaymentChannels(chain.system.deployment.contracts.PaymentChannels, rpc);
const token = () => connectTributaryToken(chain.system.deployment.contracts.TributaryToken, rpc);
async function advance(seconds: number): Promise<void> {
  await chain.rpc("evm_increaseTime", [seconds]);
  await chain.rpc("evm_mine");
}

describe("tributary channel", () => {
  it("opens a channel to a model's provider, shows it, and closes it only after expiry and the challenge period", async () => {
    vi.stubEnv("TRIBUTARY_BUYER_KEY", buyer.privateKey);
    const before = await token().balanceOf(buyer.address);
    const opened = await channel(
      "open",
      "--model",
      String(modelId),
      "--deposit",
      "25",
      "--expires-in",
      String(DAY),
      "--json",
    );
    expect(opened.stderr).toBe("");
    expect(opened.code).toBe(0);
    const { channelId, transactions } = jsonLine(opened.stdout) as {
      channelId: string;
      transactions: { call: string }[];
    };
    expect(transactions.map((tx) => tx.call)).toEqual(["TRIB.approve", "PaymentChannels.open"]);
    const onChain = await channels().getChannel(BigInt(channelId));
    expect([onChain.buyer, onChain.provider, onChain.deposit, onChain.status]).toEqual([
      buyer.address,
      providerWallet.address,
      25n * E18,
      1n,
    ]);
    expect(before - (await token().balanceOf(buyer.address))).toBe(25n * E18);

    const shown = await channel("show", channelId);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toMatch(/^ {2}deposit +25 TRIB/m);
    expect(shown.stdout).toMatch(/^ {2}remaining +25 TRIB/m);

    const early = await channel("close", channelId);
    expect(early.code).toBe(1);
    expect(early.stderr).toMatch(
      /^tributary: channel \d+ expires at .*: its buyer may start closing it only after that/,
    );

    vi.stubEnv("TRIBUTARY_BUYER_KEY", providerWallet.privateKey);
    const notBuyer = await channel("close", channelId);
    expect([notBuyer.code, notBuyer.stderr]).toEqual([
      1,
      expect.stringContaining(`belongs to buyer ${buyer.address.toLowerCase()}`),
    ]);
    vi.stubEnv("TRIBUTARY_BUYER_KEY", buyer.privateKey);

    await advance(DAY + 1);
    const start = await channel("close", channelId, "--json");
    expect(jsonLine(start.stdout)).toMatchObject({ step: "startClose" });
    expect((await channels().getChannel(BigInt(channelId))).status).toBe(2n);
    const during = await channel("close", channelId);
    expect(during.code).toBe(1);
    expect(during.stderr).toMatch(/challenge period ends at/);

    await advance(Number(await channels().challengePeriod()) + 1);
    const finish = await channel("close", channelId, "--json");
    expect(jsonLine(finish.stdout)).toMatchObject({ step: "finalizeClose" });
    expect(await token().balanceOf(buyer.address)).toBe(before);
    const closed = await channel("close", channelId);
    expect([closed.code, closed.stderr]).toEqual([1, `tributary: channel ${channelId} is already closed\n`]);
  });

  it("refuses a deposit the buyer cannot pay, an unknown channel, and ambiguous flags", async () => {
    vi.stubEnv("TRIBUTARY_BUYER_KEY", buyer.privateKey);
    const poor = await channel("open", "--provider", providerWallet.address, "--deposit", "1000000");
    expect(poor.code).toBe(1);
    expect(poor.stderr).toMatch(/^tributary: channel open needs 1000000 TRIB/);
    const unknown = await channel("show", "999");
    expect([unknown.code, unknown.stderr]).toEqual([1, expect.stringContaining("has no channel 999")]);
    const both = await channel("open", "--provider", providerWallet.address, "--model", "1", "--deposit", "1");
    expect(both.code).toBe(2);
    expect(both.stderr).toContain("give exactly one of --provider ADDRESS or --model ID");
  });
});
