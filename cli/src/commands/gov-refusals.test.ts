import { DEFAULT_DEPLOY_OPTIONS } from "@tributary/contracts/deploy";
import type { LocalChain } from "@tributary/contracts/local-chain";
import {
  connectModelRegistry,
  connectPaymentChannels,
  connectTrainingJobs,
  connectTributaryGovernor,
  connectTributaryToken,
} from "@tributary/contracts/typed";
import { id, type JsonRpcProvider, type Wallet } from "ethers";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { type DeployedChain, startDeployedChain } from "../../test-support/deployed-chain.js";
import { jsonLine, tributary } from "../../test-support/run-tributary.js";

const E18 = 10n ** 18n;
const settings = DEFAULT_DEPLOY_OPTIONS.governor;

let deployed: DeployedChain;
let chain: LocalChain;
let provider: JsonRpcProvider;
let deploymentFile: string;
/** Holds 5,000,000 TRIB of votes: above the threshold (100,000) and the quorum (4 % of 100,000,000). */
let whale: Wallet;
/** Holds 200,000 TRIB of votes: may propose, but cannot reach the quorum alone. */
let minnow: Wallet;

/** A funded account holding `tokens` TRIB, delegated to itself (directly through the token, not the CLI). */
async function delegatedHolder(tokens: bigint): Promise<Wallet> {
  const wallet = await chain.fundedWallet({ tokens });
  const token = connectTributaryToken(chain.system.deployment.contracts.TributaryToken, wallet.connect(provider));
  await (await token.delegate(wallet.address)).wait();
  return wallet;
}

beforeAll(async () => {
  deployed = await startDeployedChain({ governed: true });
  ({ chain, provider, deploymentFile } = deployed);
  whale = await delegatedHolder(5_000_000n * E18);
  minnow = await delegatedHolder(200_000n * E18);
});

afterAll(async () => {
  await deployed?.stop();
});

afterEach(() => {
  vi.unstubAllEnvs();
});

const contracts = () => chain.system.deployment.contracts;
const governor = () => connectTributaryGovernor(contracts().TributaryGovernor, provider);
const nonce = (wallet: Wallet) => provider.getTransactionCount(wallet.address);

/** `tributary gov …` with `wallet`'s key in TRIBUTARY_VOTER_KEY (or no key). */
function gov(wallet: Wallet | null, ...args: string[]) {
  vi.unstubAllEnvs();
  if (wallet !== null) vi.stubEnv("TRIBUTARY_VOTER_KEY", wallet.privateKey);
  return tributary("gov", ...args, "--rpc", chain.url, "--deployment", deploymentFile);
}

async function advance(seconds: bigint): Promise<void> {
  await provider.send("evm_increaseTime", [Number(seconds)]);
  await provider.send("evm_mine", []);
}

async function propose(wallet: Wallet, set: string, description: string): Promise<string> {
  const result = await gov(wallet, "propose", "--set", set, "--description", description, "--json");
  expect(result.stderr).toBe("");
  return (jsonLine(result.stdout) as { proposalId: string }).proposalId;
}

describe("tributary gov propose refuses", () => {
  it("a proposer below the proposal threshold, with the numbers and how to delegate", async () => {
    const holder = await chain.fundedWallet({ tokens: 1_000n * E18 });
    const before = await nonce(holder);
    const result = await gov(
      holder,
      "propose",
      "--set",
      "treasury.burnShareBps=0",
      "--description",
      "burn nothing",
      "--json",
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      `tributary: gov propose needs 100000 TRIB of votes (the proposal threshold) but ${holder.address.toLowerCase()} has 0 TRIB of votes: 100000 TRIB more needed (it holds 1000 TRIB, whose votes go to nobody; \`tributary token delegate\` delegates them to itself, and holders can delegate theirs to it); nothing was sent\n`,
    );
    expect(jsonLine(result.stdout)).toMatchObject({
      ok: false,
      error: {
        code: "INSUFFICIENT_VOTES",
        details: { votes: "0", threshold: String(settings.proposalThreshold), balance: String(1_000n * E18) },
      },
    });
    expect(await nonce(holder)).toBe(before);
  });

  it("unknown parameters, malformed values and missing keys as usage errors (exit 2)", async () => {
    const unknown = await gov(whale, "propose", "--set", "trainingJobs.fee=1", "--description", "d");
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(
      /^tributary: --set trainingJobs\.fee=1: unknown parameter trainingJobs\.fee; the known ones are trainingJobs\.protocolFeeBps, trainingJobs\.claimPeriod, .*staking\.unbondingDelay, .*treasury\.burnShareBps, .*timelock\.minDelay \(`tributary gov params` shows their values\)\n$/,
    );
    const cases: [string, string][] = [
      [
        "treasury.burnShareBps=10001",
        "invalid --set: treasury.burnShareBps=10001: must be at most 10000 basis points (100 %)",
      ],
      ["staking.unbondingDelay=soon", "invalid --set: staking.unbondingDelay=soon: must be a duration such as 7d"],
      [
        "optimisticVerifier.committeeMember=true",
        "optimisticVerifier.committeeMember is written optimisticVerifier.committeeMember:ADDRESS=VALUE",
      ],
      [
        "optimisticVerifier.committeeMember:0x12=true",
        "invalid --set: optimisticVerifier.committeeMember:0x12 (ADDRESS): must be a 20-byte hex address",
      ],
      [
        "modelRegistry.minModelStake=0.0000000000000000001",
        "TRIB has 18 decimals, so at most 18 digits after the point",
      ],
      ["staking.winnerShareBps", "must be PARAM=VALUE"],
    ];
    for (const [set, message] of cases) {
      const result = await gov(whale, "propose", "--set", set, "--description", "d");
      expect(result.code, set).toBe(2);
      expect(result.stderr, set).toContain(message);
    }
    const twice = await gov(
      whale,
      "propose",
      "--set",
      "staking.winnerShareBps=1",
      "--set",
      "staking.winnerShareBps=2",
      "--description",
      "d",
    );
    expect(twice.stderr).toContain("staking.winnerShareBps is set twice");
    const none = await gov(whale, "propose", "--description", "d");
    expect(none.code).toBe(2);
    expect(none.stderr).toContain("give at least one --set PARAM=VALUE");
    const noKey = await gov(null, "propose", "--set", "staking.winnerShareBps=1", "--description", "d");
    expect(noKey.code).toBe(2);
    expect(noKey.stderr).toBe(
      "tributary: give --keystore FILE or set TRIBUTARY_VOTER_KEY to the token holder's private key\n",
    );
  });

  it("a call the contract would reject when the timelock makes it, with the decoded error", async () => {
    const before = await nonce(whale);
    const fee = await gov(whale, "propose", "--set", "trainingJobs.protocolFeeBps=2000", "--description", "a 20 % fee");
    expect(fee.code).toBe(1);
    const { claimPeriod, staleJobTimeout } = DEFAULT_DEPLOY_OPTIONS.jobs;
    expect(fee.stderr).toBe(
      `tributary: call 1 (TrainingJobs, setting trainingJobs.protocolFeeBps) would revert if the timelock made it now, with TrainingJobsInvalidParameters(parameters=[2000, ${claimPeriod}, ${staleJobTimeout}]); nothing was proposed\n`,
    );
    const shares = await gov(whale, "propose", "--set", "modelRegistry.providerShareBps=8000", "--description", "d");
    expect(shares.code).toBe(1);
    expect(shares.stderr).toContain("with ModelRegistryInvalidParameters(parameters=[");
    expect(await nonce(whale)).toBe(before);
    expect((await connectTrainingJobs(contracts().TrainingJobs, provider).parameters()).protocolFeeBps).toBe(250n);
  });
});

describe("tributary gov vote, queue and execute refuse", () => {
  it("unknown ids, votes without voting power or twice, a defeated proposal, and a call that reverts", async () => {
    const burn = await propose(whale, "treasury.burnShareBps=4000", "Burn 40 % of fees");
    const lowTurnout = await propose(minnow, "paymentChannels.challengePeriod=2d", "Two-day channel challenges");
    // A proposal made with another tool, whose call passes no simulation: the shares sum to 11,000.
    const models = connectModelRegistry(contracts().ModelRegistry, provider);
    const badShares = models.interface.encodeFunctionData("setParameters", [
      { ...DEFAULT_DEPLOY_OPTIONS.models, providerShareBps: 8_000n },
    ]);
    const description = "Raise the provider's share";
    const byTool = connectTributaryGovernor(contracts().TributaryGovernor, whale.connect(provider));
    await (await byTool.propose([contracts().ModelRegistry], [0n], [badShares], description)).wait();
    const broken = String(
      await governor().hashProposal([contracts().ModelRegistry], [0n], [badShares], id(description)),
    );

    for (const step of [
      ["vote", "12345", "for"],
      ["queue", "12345"],
      ["execute", "12345"],
      ["show", "12345"],
    ]) {
      const result = await gov(whale, ...step);
      expect(result.code, step[0]).toBe(1);
      expect(result.stderr).toBe(
        `tributary: no proposal 12345 on the governor ${contracts().TributaryGovernor} (\`tributary gov list\` lists the proposals)\n`,
      );
    }
    const malformed = await gov(whale, "vote", "twelve", "yes");
    expect(malformed.code).toBe(2);
    expect(malformed.stderr).toContain(
      "gov vote options.id: must be a proposal id (decimal, or 0x hex); gov vote options.support: must be for, against or abstain",
    );

    await advance(settings.votingDelay + 1n);
    // Tokens received and delegated after the snapshot carry no votes on this proposal.
    const late = await delegatedHolder(1_000_000n * E18);
    const lateVote = await gov(late, "vote", burn, "against");
    expect(lateVote.code).toBe(1);
    expect(lateVote.stderr).toMatch(
      new RegExp(
        `^tributary: ${late.address.toLowerCase()} had no votes at proposal ${burn}'s snapshot \\(.*\\): votes count as delegated at the snapshot`,
      ),
    );
    expect(await governor().hasVoted(burn, late.address)).toBe(false);

    expect((await gov(whale, "vote", burn, "for")).code).toBe(0);
    const before = await nonce(whale);
    const twice = await gov(whale, "vote", burn, "against", "--json");
    expect(twice.code).toBe(1);
    expect(jsonLine(twice.stdout)).toMatchObject({ ok: false, error: { code: "ALREADY_VOTED" } });
    expect(twice.stderr).toBe(
      `tributary: ${whale.address.toLowerCase()} has already voted on proposal ${burn}, and a vote cannot be changed; nothing was sent\n`,
    );
    expect(await nonce(whale)).toBe(before);
    const [against, forVotes] = await governor().proposalVotes(burn);
    expect([against, forVotes]).toEqual([0n, 5_000_000n * E18]);

    expect((await gov(minnow, "vote", lowTurnout, "for")).code).toBe(0);
    expect((await gov(whale, "vote", broken, "for")).code).toBe(0);
    await advance(settings.votingPeriod + 1n);

    // 200,000 TRIB for, against a quorum of 4 % of the 100,000,000 TRIB supply.
    const defeated = await gov(minnow, "queue", lowTurnout);
    expect(defeated.code).toBe(1);
    expect(defeated.stderr).toMatch(
      /is Defeated: it was defeated when voting closed at .*: for \+ abstain 200000 TRIB fell short of the quorum 4000000 TRIB; only a proposal that passed can be queued; nothing was sent\n$/,
    );
    expect(await connectPaymentChannels(contracts().PaymentChannels, provider).challengePeriod()).toBe(
      DEFAULT_DEPLOY_OPTIONS.channelChallengePeriod,
    );

    const shown = await gov(null, "show", broken);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain(
      `1. ModelRegistry.setParameters(parameters_=(minModelStake=${1_000n * E18}, protocolFeeBps=250, providerShareBps=8000, researcherShareBps=1500, contributorShareBps=1500))`,
    );
    expect((await gov(minnow, "queue", broken)).code).toBe(0);
    await advance(settings.timelockDelay + 1n);
    const reverted = await gov(minnow, "execute", broken, "--json");
    expect(reverted.code).toBe(1);
    expect(jsonLine(reverted.stdout)).toMatchObject({
      ok: false,
      error: {
        code: "REVERTED",
        details: { call: "TributaryGovernor.execute", error: "ModelRegistryInvalidParameters" },
      },
    });
    expect(reverted.stderr).toBe(
      `tributary: TributaryGovernor.execute would revert with ModelRegistryInvalidParameters(parameters=[${1_000n * E18}, 250, 8000, 1500, 1500]); nothing was sent\n`,
    );
    expect((await models.parameters()).providerShareBps).toBe(7_000n);
  });
});
