import type { LocalChain } from "@tributary/contracts/local-chain";
import { connectTributaryToken } from "@tributary/contracts/typed";
import { formatUnits, parseEther, parseUnits, Wallet } from "ethers";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { playJob } from "../../../auditor/test-support/ledger-job.js";
import { type DeployedChain, startDeployedChain } from "../../test-support/deployed-chain.js";
import { jsonLine, tributary } from "../../test-support/run-tributary.js";

// Hardhat's first account: the local chain's deployer, which is the researcher of every job it creates.
const RESEARCHER_KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";
const TRIB_PRICE = parseEther("40");
/** The second model sells licences in a 6-decimal token. */
const USDC_PRICE = parseUnits("12.5", 6);

let deployed: DeployedChain;
let chain: LocalChain;
let provider: Wallet;
let researcher: Wallet;
let usdc: string;
let trib: string;

const models = () => chain.system.contracts.models;
const flags = () => ["--rpc", chain.url, "--deployment", deployed.deploymentFile];
const revenue = (...extra: string[]) => tributary("model", "revenue", ...flags(), ...extra);
const withdraw = (...extra: string[]) => tributary("model", "withdraw-revenue", ...flags(), ...extra);
const balanceOf = (token: string, account: string) =>
  connectTributaryToken(token, deployed.provider).balanceOf(account);

/** The provider's and the researcher's credit from one licence sold at `price`, as IModelRegistry documents the split. */
async function split(price: bigint): Promise<{ provider: bigint; researcher: bigint }> {
  const { protocolFeeBps, researcherShareBps, contributorShareBps } = await models().parameters();
  const fee = (price * protocolFeeBps) / 10_000n;
  const researcherShare = ((price - fee) * researcherShareBps) / 10_000n;
  const contributorShare = ((price - fee) * contributorShareBps) / 10_000n;
  // What the fee and the researcher's and the contributors' shares leave is the provider's.
  return { provider: price - fee - researcherShare - contributorShare, researcher: researcherShare };
}

beforeAll(async () => {
  deployed = await startDeployedChain();
  chain = deployed.chain;
  researcher = new Wallet(RESEARCHER_KEY);
  expect(researcher.address).toBe(chain.deployer.address);
  const job = await playJob(chain, { rounds: 1, trainers: 2, scoring: "examples" });
  const mock = await chain.ethers.deployContract("MockERC20", ["USD Coin", "USDC", 6]);
  usdc = (await mock.getAddress()).toLowerCase();
  trib = chain.system.deployment.contracts.TributaryToken.toLowerCase();

  // The researcher approves a provider of its own, who stakes and lists the job's model twice, once per token.
  const { minModelStake } = await models().parameters();
  provider = (await chain.fundedWallet({ tokens: 2n * minModelStake })).connect(deployed.provider);
  await (await models().connect(chain.deployer).setProviderApproval(job.jobId, provider.address, true)).wait();
  const { token, staking } = chain.system.contracts;
  await (await token.connect(provider).approve(staking, 2n * minModelStake)).wait();
  await (await staking.connect(provider).stake(2n * minModelStake)).wait();
  for (const [paymentToken, licensePrice] of [
    [trib, TRIB_PRICE],
    [usdc, USDC_PRICE],
  ] as const) {
    await (
      await models()
        .connect(provider)
        .registerModel({
          modelHash: `0x${"5a".repeat(32)}`,
          modelURI: "ipfs://metadata",
          endpoint: "",
          pricePerToken: 1n,
          licensePrice,
          paymentToken,
          jobId: job.jobId,
          stake: minModelStake,
        })
    ).wait();
  }

  // A buyer buys a licence to each with `model buy`.
  const buyer = await chain.fundedWallet({ tokens: TRIB_PRICE });
  // MockERC20 mints like TRIB (`mint(address,uint256)`), to anyone who asks.
  await (await connectTributaryToken(usdc, chain.deployer).mint(buyer.address, USDC_PRICE)).wait();
  vi.stubEnv("TRIBUTARY_BUYER_KEY", buyer.privateKey);
  for (const [id, price] of [
    ["1", "40"],
    ["2", "12.5"],
  ]) {
    const bought = await tributary("model", "buy", id as string, "--max-price", price as string, ...flags());
    expect(bought.stderr).toBe("");
    expect(bought.code).toBe(0);
  }
  vi.unstubAllEnvs();
}, 120_000);

afterAll(async () => {
  await deployed?.stop();
});

afterEach(() => {
  vi.unstubAllEnvs();
});

describe("tributary model revenue", () => {
  it("shows the provider's and the researcher's shares of the licences sold, in each payment token", async () => {
    const [inTrib, inUsdc] = [await split(TRIB_PRICE), await split(USDC_PRICE)];
    expect(inTrib.provider).toBeGreaterThan(0n);
    expect(inTrib.researcher).toBeGreaterThan(0n);
    vi.stubEnv("TRIBUTARY_PROVIDER_KEY", provider.privateKey);
    const own = await revenue("--json");
    expect(own.stderr).toBe("");
    expect(own.code).toBe(0);
    expect(jsonLine(own.stdout)).toMatchObject({
      ok: true,
      account: provider.address.toLowerCase(),
      revenue: [
        { token: { address: trib, symbol: "TRIB", decimals: 18 }, pending: String(inTrib.provider) },
        { token: { address: usdc, symbol: "USDC", decimals: 6 }, pending: String(inUsdc.provider) },
      ],
    });
    const ofResearcher = await revenue("--address", researcher.address, "--json");
    expect(jsonLine(ofResearcher.stdout)).toMatchObject({
      revenue: [{ pending: String(inTrib.researcher) }, { pending: String(inUsdc.researcher) }],
    });
    const people = await revenue("--token", usdc);
    expect(people.code).toBe(0);
    expect(people.stdout).toMatch(new RegExp(`^ {2}USDC +${formatUnits(inUsdc.provider, 6)} USDC +${usdc}$`, "m"));
    expect(people.stdout).toContain(`withdraw the USDC with: tributary model withdraw-revenue --token ${usdc}`);
    expect(people.stdout).not.toMatch(/TRIB/);
  });

  it("needs an account: --address or a key (exit 2)", async () => {
    const bare = await revenue();
    expect(bare.code).toBe(2);
    expect(bare.stderr).toBe("tributary: give --address ADDR, or --keystore FILE or TRIBUTARY_PROVIDER_KEY\n");
    const role = await revenue("--as", "buyer");
    expect(role.code).toBe(2);
    expect(role.stderr).toMatch(/--as|as:/);
  });
});

describe("tributary model withdraw-revenue", () => {
  it("sends the provider and the researcher exactly their credited shares, once", async () => {
    const [inTrib, inUsdc] = [await split(TRIB_PRICE), await split(USDC_PRICE)];
    vi.stubEnv("TRIBUTARY_PROVIDER_KEY", provider.privateKey);
    const before = await balanceOf(trib, provider.address);
    const paid = await withdraw("--json");
    expect(paid.stderr).toBe("");
    expect(paid.code).toBe(0);
    expect(jsonLine(paid.stdout)).toMatchObject({
      ok: true,
      account: provider.address.toLowerCase(),
      amount: String(inTrib.provider),
      transactions: [{ call: "ModelRegistry.withdrawRevenue" }],
    });
    expect((await balanceOf(trib, provider.address)) - before).toBe(inTrib.provider);
    expect(await models().pendingRevenue(provider.address, trib)).toBe(0n);

    const usdcBefore = await balanceOf(usdc, provider.address);
    const inToken = await withdraw("--token", usdc);
    expect(inToken.code).toBe(0);
    expect(inToken.stdout).toContain(
      `sends ${provider.address.toLowerCase()} the ${formatUnits(inUsdc.provider, 6)} USDC of licence revenue`,
    );
    expect((await balanceOf(usdc, provider.address)) - usdcBefore).toBe(inUsdc.provider);

    vi.stubEnv("TRIBUTARY_RESEARCHER_KEY", researcher.privateKey);
    const researcherBefore = await balanceOf(trib, researcher.address);
    const asResearcher = await withdraw("--as", "researcher", "--json");
    expect(asResearcher.code).toBe(0);
    expect(jsonLine(asResearcher.stdout)).toMatchObject({ amount: String(inTrib.researcher) });
    expect((await balanceOf(trib, researcher.address)) - researcherBefore).toBe(inTrib.researcher);

    // Nothing is left: a second withdrawal is refused before anything is sent.
    const nonce = await deployed.provider.getTransactionCount(provider.address);
    const again = await withdraw("--json");
    expect(again.code).toBe(1);
    expect(jsonLine(again.stdout)).toMatchObject({ ok: false, error: { code: "NOTHING_TO_WITHDRAW" } });
    expect(again.stderr).toBe(
      `tributary: ModelRegistry ${chain.system.deployment.contracts.ModelRegistry} holds no licence revenue of ${provider.address.toLowerCase()} in TRIB (${trib}): nothing was sent\n`,
    );
    expect(await deployed.provider.getTransactionCount(provider.address)).toBe(nonce);
  });

  it("refuses an account that was credited nothing, sending nothing", async () => {
    const stranger = await chain.fundedWallet();
    vi.stubEnv("TRIBUTARY_PROVIDER_KEY", stranger.privateKey);
    const refused = await withdraw();
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`holds no licence revenue of ${stranger.address.toLowerCase()} in TRIB`);
    expect(await deployed.provider.getTransactionCount(stranger.address)).toBe(0);
    const shown = await revenue("--json");
    expect(jsonLine(shown.stdout)).toMatchObject({ revenue: [{ pending: "0" }, { pending: "0" }] });
  });
});
