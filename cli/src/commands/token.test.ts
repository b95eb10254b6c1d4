import type { LocalChain } from "@tributary/contracts/local-chain";
import { connectTributaryToken } from "@tributary/contracts/typed";
import { type JsonRpcProvider, Wallet } from "ethers";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { type DeployedChain, startDeployedChain } from "../../test-support/deployed-chain.js";
import { jsonLine, tributary } from "../../test-support/run-tributary.js";

const E18 = 10n ** 18n;

let deployed: DeployedChain;
let chain: LocalChain;
let provider: JsonRpcProvider;
let deploymentFile: string;

beforeAll(async () => {
  deployed = await startDeployedChain();
  ({ chain, provider, deploymentFile } = deployed);
});

afterAll(async () => {
  await deployed?.stop();
});

afterEach(() => {
  vi.unstubAllEnvs();
});

const token = (...args: string[]) => tributary("token", ...args, "--rpc", chain.url, "--deployment", deploymentFile);
const trib = () => connectTributaryToken(chain.system.deployment.contracts.TributaryToken, provider);

/** A token holder with its own key in TRIBUTARY_VOTER_KEY. */
async function holder(tokens: bigint): Promise<Wallet> {
  const wallet = await chain.fundedWallet({ tokens });
  vi.stubEnv("TRIBUTARY_VOTER_KEY", wallet.privateKey);
  return wallet;
}

describe("tributary token balance", () => {
  it("shows a holder's TRIB and that its tokens carry no votes until delegated", async () => {
    const wallet = await holder(250n * E18);
    const result = await token("balance", "--json");
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(jsonLine(result.stdout)).toMatchObject({
      ok: true,
      account: wallet.address.toLowerCase(),
      balance: String(250n * E18),
      votes: "0",
      delegate: null,
      token: { symbol: "TRIB", decimals: 18 },
    });
    vi.unstubAllEnvs();
    const byAddress = await token("balance", "--address", wallet.address);
    expect(byAddress.code).toBe(0);
    expect(byAddress.stdout).toMatch(/^ {2}balance +250 TRIB$/m);
    expect(byAddress.stdout).toMatch(/^ {2}votes go to +nobody: its tokens count for no votes until it delegates/m);
    const nobody = await token("balance");
    expect(nobody.code).toBe(2);
    expect(nobody.stderr).toBe("tributary: give --address ADDR, or --keystore FILE or TRIBUTARY_VOTER_KEY\n");
  });
});

describe("tributary token delegate", () => {
  it("delegates to the holder itself by default: its votes become its balance", async () => {
    const wallet = await holder(300n * E18);
    const result = await token("delegate", "--json");
    expect(result.code).toBe(0);
    const line = jsonLine(result.stdout) as { transactions: { hash: string }[]; delegatee: { votes: string } };
    expect((await provider.getTransactionReceipt(line.transactions[0]?.hash ?? ""))?.status).toBe(1);
    expect(line.delegatee.votes).toBe(String(300n * E18));
    expect(await trib().getVotes(wallet.address)).toBe(300n * E18);
    expect((await trib().delegates(wallet.address)).toLowerCase()).toBe(wallet.address.toLowerCase());
  });

  it("delegates to another account with --to, moving no tokens", async () => {
    const wallet = await holder(40n * E18);
    const other = await chain.fundedWallet();
    const result = await token("delegate", "--to", other.address);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(
      `token delegate gives the voting power of ${wallet.address.toLowerCase()}'s 40 TRIB (and of what it receives later) to ${other.address.toLowerCase()}`,
    );
    expect(result.stdout).toMatch(/^delegate votes to 0x[0-9a-f]{40}: transaction 0x[0-9a-f]{64}$/m);
    expect(await trib().getVotes(other.address)).toBe(40n * E18);
    expect(await trib().getVotes(wallet.address)).toBe(0n);
    expect(await trib().balanceOf(wallet.address)).toBe(40n * E18);

    const bad = await token("delegate", "--to", "not-an-address");
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("token delegate options.to: must be a 20-byte hex address");
  });
});

describe("tributary token transfer", () => {
  it("sends TRIB and ether to a fresh account: both arrive, to the wei", async () => {
    const wallet = await holder(1_000n * E18);
    const to = Wallet.createRandom().address;
    const result = await token("transfer", "--to", to, "--amount", "250.5", "--ether", "0.25", "--json");
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    const line = jsonLine(result.stdout) as { transactions: { call: string }[] };
    expect(line.transactions.map((tx) => tx.call)).toEqual(["TRIB.transfer", "ether transfer"]);
    expect(await trib().balanceOf(to)).toBe(250n * E18 + E18 / 2n);
    expect(await provider.getBalance(to)).toBe(E18 / 4n);
    expect(await trib().balanceOf(wallet.address)).toBe(749n * E18 + E18 / 2n);

    const etherOnly = await token("transfer", "--to", Wallet.createRandom().address, "--ether", "0.5");
    expect(etherOnly.code).toBe(0);
    expect(etherOnly.stdout).toMatch(/^send 0\.5 ETH to 0x[0-9a-f]{40}: transaction 0x[0-9a-f]{64}$/m);
    expect(etherOnly.stdout).toMatch(/now holds 0 TRIB and 0\.5 ETH$/m);
  });

  it("refuses more TRIB than the key holds before sending anything, and a transfer of nothing", async () => {
    const wallet = await holder(10n * E18);
    const to = Wallet.createRandom().address;
    const nonce = await provider.getTransactionCount(wallet.address);
    const short = await token("transfer", "--to", to, "--amount", "10.000000000000000001", "--ether", "1");
    expect(short.code).toBe(1);
    expect(short.stderr).toBe(
      `tributary: token transfer needs 10.000000000000000001 TRIB but ${wallet.address.toLowerCase()} holds 10 TRIB: 0.000000000000000001 TRIB more needed\n`,
    );
    expect(await provider.getTransactionCount(wallet.address)).toBe(nonce);
    expect(await provider.getBalance(to)).toBe(0n);

    const nothing = await token("transfer", "--to", to);
    expect(nothing.code).toBe(2);
    expect(nothing.stderr).toContain("give --amount TRIB, --ether ETH or both");
  });
});
