import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { pathToFileURL } from "node:url";
import { DEFAULT_DEPLOY_OPTIONS } from "@tributary/contracts/deploy";
import type { LocalChain } from "@tributary/contracts/local-chain";
import { connectStaking, connectTributaryToken } from "@tributary/contracts/typed";
import { Command } from "commander";
import type { JsonRpcProvider, Wallet } from "ethers";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { type DeployedChain, startDeployedChain } from "../../test-support/deployed-chain.js";
import { captured, jsonLine, tributary } from "../../test-support/run-tributary.js";
import { Output } from "../chain/output.js";
import { sendAndWait } from "../chain/transactions.js";
import { runKeyImport } from "./key.js";
import { registerStakeCommand } from "./stake.js";

const E18 = 10n ** 18n;
const DAY = 86_400;

let deployed: DeployedChain;
let chain: LocalChain;
let provider: JsonRpcProvider;
let dir: string;
let deploymentFile: string;
let stakingAddress: string;

beforeAll(async () => {
  deployed = await startDeployedChain();
  ({ chain, provider, dir, deploymentFile } = deployed);
  stakingAddress = chain.system.deployment.contracts.Staking;
});

afterAll(async () => {
  await deployed?.stop();
});

afterEach(() => {
  vi.unstubAllEnvs();
});

/** A provider with its own key (in TRIBUTARY_PROVIDER_KEY), 100 ETH and `tokens` TRIB. */
async function provider_(tokens: bigint): Promise<Wallet> {
  const wallet = await chain.fundedWallet({ tokens });
  vi.stubEnv("TRIBUTARY_PROVIDER_KEY", wallet.privateKey);
  return wallet;
}

const stake = (...args: string[]) => tributary("stake", ...args, "--rpc", chain.url, "--deployment", deploymentFile);
const staking = () => connectStaking(stakingAddress, provider);
const token = () => connectTributaryToken(chain.system.deployment.contracts.TributaryToken, provider);
const nonce = (wallet: Wallet) => provider.getTransactionCount(wallet.address);

describe("tributary stake deposit", () => {
  it("approves exactly the amount, stakes it, and prints both transactions", async () => {
    const wallet = await provider_(1_000n * E18);
    const result = await stake("deposit", "--amount", "100", "--json");
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    const line = jsonLine(result.stdout) as {
      transactions: { call: string; hash: string }[];
      position: Record<string, string>;
    };
    expect(line.transactions.map((tx) => tx.call)).toEqual(["TRIB.approve", "Staking.stake"]);
    for (const tx of line.transactions) expect((await provider.getTransactionReceipt(tx.hash))?.status).toBe(1);
    expect(await staking().stakeOf(wallet.address)).toBe(100n * E18);
    expect(await token().balanceOf(wallet.address)).toBe(900n * E18);
    // Exactly the amount was approved: the stake consumed all of it.
    expect(await token().allowance(wallet.address, stakingAddress)).toBe(0n);
    expect(line.position).toMatchObject({ active: String(100n * E18), free: String(100n * E18) });

    const human = await stake("deposit", "--amount", "12.5");
    expect(human.code).toBe(0);
    expect(human.stdout).toContain(`stake deposit spends 12.5 TRIB of ${wallet.address} (balance 900 TRIB)`);
    expect(human.stdout).toMatch(/^stake 12\.5 TRIB: transaction 0x[0-9a-f]{64}$/m);
    expect(human.stdout).toMatch(/^ {2}active stake +112\.5 TRIB/m);
  });

  it("refuses a short balance before sending anything, naming what is needed", async () => {
    const wallet = await provider_(10n * E18);
    const before = await nonce(wallet);
    const result = await stake("deposit", "--amount", "25", "--json");
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      `tributary: stake deposit needs 25 TRIB (${25n * E18} base units) but ${wallet.address} holds 10 TRIB: 15 TRIB more needed\n`,
    );
    expect(jsonLine(result.stdout)).toMatchObject({
      ok: false,
      error: { code: "INSUFFICIENT_BALANCE", details: { needed: String(25n * E18), missing: String(15n * E18) } },
    });
    expect(await nonce(wallet)).toBe(before);
  });

  it("with --no-approve refuses a short allowance, and without it approves exactly the amount", async () => {
    const wallet = await provider_(100n * E18);
    const signer = wallet.connect(provider);
    await (await connectTributaryToken(await token().getAddress(), signer).approve(stakingAddress, 30n * E18)).wait();
    const before = await nonce(wallet);
    const refused = await stake("deposit", "--amount", "50", "--no-approve");
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe(
      `tributary: stake deposit needs Staking ${stakingAddress} to be allowed 50 TRIB of ${wallet.address}'s TRIB, but it is allowed 30 TRIB (--no-approve): approve 50 TRIB or run without --no-approve\n`,
    );
    expect(await nonce(wallet)).toBe(before);
    expect(await token().allowance(wallet.address, stakingAddress)).toBe(30n * E18);

    const approved = await stake("deposit", "--amount", "50");
    expect(approved.code).toBe(0);
    expect(approved.stdout).toContain("Staking is allowed 30 TRIB: approving exactly 50 TRIB first");
    expect(await staking().stakeOf(wallet.address)).toBe(50n * E18);
    expect(await token().allowance(wallet.address, stakingAddress)).toBe(0n);
  });

  it("names a malformed amount: not a number, zero, or finer than the token's 18 decimals", async () => {
    await provider_(10n * E18);
    const word = await stake("deposit", "--amount", "ten");
    expect(word.code).toBe(2);
    expect(word.stderr).toContain("stake deposit options.amount: must be an amount of tokens such as 100 or 12.5");
    const zero = await stake("deposit", "--amount", "0.0");
    expect(zero.stderr).toContain("stake deposit options.amount: must be more than zero");
    const fine = await stake("deposit", "--amount", `0.${"0".repeat(18)}1`);
    expect(fine.code).toBe(2);
    expect(fine.stderr).toBe(
      `tributary: --amount 0.${"0".repeat(18)}1: TRIB has 18 decimals, so at most 18 digits after the point\n`,
    );
  });

  it("refuses an account without ether for gas in one line", async () => {
    const wallet = await chain.fundedWallet({ ether: 0n, tokens: 10n * E18 });
    vi.stubEnv("TRIBUTARY_PROVIDER_KEY", wallet.privateKey);
    const result = await stake("deposit", "--amount", "1");
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /^tributary: TRIB\.approve: the sender has too little ether to pay for the gas[^\n]*\n$/,
    );
  });
});

describe("tributary stake unbond and withdraw", () => {
  it("unbond shows the contract's decoded refusal with its arguments, and sends nothing", async () => {
    const wallet = await provider_(100n * E18);
    expect((await stake("deposit", "--amount", "40")).code).toBe(0);
    const before = await nonce(wallet);
    const result = await stake("unbond", "--amount", "41", "--json");
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      `tributary: Staking.requestUnstake would revert with StakingInsufficientStake(account=${wallet.address}, available=${40n * E18}, requested=${41n * E18}); nothing was sent\n`,
    );
    expect(jsonLine(result.stdout)).toMatchObject({
      ok: false,
      error: {
        code: "REVERTED",
        details: {
          error: "StakingInsufficientStake",
          args: { account: wallet.address, available: String(40n * E18), requested: String(41n * E18) },
        },
      },
    });
    expect(await nonce(wallet)).toBe(before);
  });

  it("unbonds, refuses to withdraw before the release time (decoded), then withdraws after it", async () => {
    const wallet = await provider_(100n * E18);
    expect((await stake("deposit", "--amount", "60")).code).toBe(0);
    const nothing = await stake("withdraw");
    expect(nothing.code).toBe(1);
    expect(nothing.stderr).toContain(`with StakingNothingToWithdraw(account=${wallet.address})`);

    const unbond = await stake("unbond", "--amount", "20", "--json");
    expect(unbond.code).toBe(0);
    const [tx] = (jsonLine(unbond.stdout) as { transactions: { hash: string; blockNumber: number }[] }).transactions;
    const block = await provider.getBlock(tx?.blockNumber ?? -1);
    const releaseTime = BigInt(block?.timestamp ?? 0) + DEFAULT_DEPLOY_OPTIONS.unbondingDelay;
    expect(await staking().unbondingOf(wallet.address)).toEqual([20n * E18, releaseTime]);

    const early = await stake("withdraw", "--json");
    expect(early.code).toBe(1);
    expect(early.stderr).toContain(
      `with StakingUnbondingNotReady(account=${wallet.address}, releaseTime=${releaseTime} (${new Date(Number(releaseTime) * 1000).toISOString()}))`,
    );
    expect(jsonLine(early.stdout)).toMatchObject({
      error: { details: { error: "StakingUnbondingNotReady", args: { releaseTime: String(releaseTime) } } },
    });

    await chain.rpc("evm_increaseTime", [7 * DAY]);
    await chain.rpc("evm_mine");
    const shown = await stake("show", "--address", wallet.address);
    expect(shown.stdout).toMatch(/^ {2}unbonding +20 TRIB +withdrawable now$/m);
    const balance = await token().balanceOf(wallet.address);
    const withdrawn = await stake("withdraw", "--json");
    expect(withdrawn.code).toBe(0);
    expect(await token().balanceOf(wallet.address)).toBe(balance + 20n * E18);
    expect(await staking().stakeOf(wallet.address)).toBe(40n * E18);
    expect(jsonLine(withdrawn.stdout)).toMatchObject({ amount: String(20n * E18), position: { unbonding: "0" } });
  });
});

describe("a transaction the chain mines and reverts", () => {
  it("is reported with its hash and the error decoded by replaying it", async () => {
    const wallet = (await chain.fundedWallet()).connect(provider);
    const contract = connectStaking(stakingAddress, wallet);
    const lines: string[] = [];
    await chain.rpc("evm_setAutomine", [false]);
    try {
      // An explicit gas limit skips the estimate, so the transaction is sent and mined, and reverts on chain.
      const sent = sendAndWait(new Output(false, (text) => lines.push(text), false), {
        description: "withdraw",
        call: "Staking.withdraw",
        send: () => contract.withdraw({ gasLimit: 100_000n }),
      });
      while (lines.length === 0) await new Promise((resolve) => setTimeout(resolve, 20));
      await chain.rpc("evm_mine");
      const error = await sent.then(
        () => undefined,
        (caught: unknown) => caught as Error & { details: Record<string, unknown> },
      );
      const hash = /transaction (0x[0-9a-f]{64})/.exec(lines[0] ?? "")?.[1];
      expect((await provider.getTransactionReceipt(hash ?? ""))?.status).toBe(0);
      expect(error?.message).toMatch(
        new RegExp(
          `^Staking\\.withdraw transaction ${hash} reverted in block \\d+ with StakingNothingToWithdraw\\(account=${wallet.address}\\)$`,
        ),
      );
      expect(error?.details).toMatchObject({ txHash: hash, error: "StakingNothingToWithdraw" });
    } finally {
      await chain.rpc("evm_setAutomine", [true]);
    }
  });
});

describe("keys and deployments", () => {
  it("signs with a keystore; a wrong password or a malformed key is one line and sends nothing", async () => {
    const wallet = await chain.fundedWallet({ tokens: 10n * E18 });
    const keystore = path.join(dir, "provider.json");
    vi.stubEnv("TRIBUTARY_KEYSTORE_PASSWORD", "provider password");
    const imported = await captured(() =>
      runKeyImport({ out: keystore }, { stdin: Readable.from([wallet.privateKey]) }),
    );
    expect(imported.code).toBe(0);
    const deposit = await stake("deposit", "--amount", "3", "--keystore", keystore, "--json");
    expect(deposit.code).toBe(0);
    expect(await staking().stakeOf(wallet.address)).toBe(3n * E18);

    vi.stubEnv("TRIBUTARY_KEYSTORE_PASSWORD", "wrong password");
    const before = await nonce(wallet);
    const wrong = await stake("deposit", "--amount", "3", "--keystore", keystore);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toMatch(
      /^tributary: --keystore \S+: not an encrypted JSON keystore this password opens \([^\n]*\)\n$/,
    );
    vi.stubEnv("TRIBUTARY_PROVIDER_KEY", "0x1234");
    const malformed = await stake("deposit", "--amount", "3");
    expect(malformed.code).toBe(2);
    expect(malformed.stderr).toMatch(/environment\.TRIBUTARY_PROVIDER_KEY: must be a 32-byte hex private key/);
    vi.unstubAllEnvs();
    const none = await stake("withdraw");
    expect(none.stderr).toBe(
      "tributary: give --keystore FILE or set TRIBUTARY_PROVIDER_KEY to the provider's (staker's) private key\n",
    );
    expect(await nonce(wallet)).toBe(before);
  });

  it("refuses without a deployment for the RPC's chain, or with one for another chain", async () => {
    await provider_(10n * E18);
    const empty = await mkdtemp(path.join(tmpdir(), "tributary-no-deployments-"));
    try {
      const program = new Command().exitOverride();
      registerStakeCommand(program, { deploymentsDir: pathToFileURL(`${empty}/`) });
      const unknown = await captured(() =>
        program.parseAsync(["node", "tributary", "stake", "show", "--rpc", chain.url, "--json"]),
      );
      expect(unknown.code).toBe(2);
      expect(unknown.stderr).toBe(
        `tributary: no deployment of Tributary is known for chain 31337: no file ${path.join(empty, "31337.json")}; pass --deployment FILE (or deploy one with \`tributary deploy --rpc URL\`)\n`,
      );
      expect(jsonLine(unknown.stdout)).toMatchObject({ ok: false, error: { code: "DEPLOYMENT_UNKNOWN" } });
      const other = path.join(empty, "other.json");
      await writeFile(other, JSON.stringify({ ...chain.system.deployment, chainId: 1 }));
      const wrongChain = await tributary("stake", "show", "--rpc", chain.url, "--deployment", other);
      expect(wrongChain.code).toBe(2);
      expect(wrongChain.stderr).toBe(
        `tributary: the deployment file ${other} describes chain 1, but the RPC serves chain 31337\n`,
      );
    } finally {
      await rm(empty, { recursive: true, force: true });
    }
  });
});
