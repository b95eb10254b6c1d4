import { DEFAULT_DEPLOY_OPTIONS } from "@tributary/contracts/deploy";
import type { LocalChain } from "@tributary/contracts/local-chain";
import {
  connectAttestationRegistry,
  connectOptimisticVerifier,
  connectStaking,
  connectTrainingJobs,
  connectTreasury,
  connectTributaryGovernor,
  connectTributaryTimelock,
} from "@tributary/contracts/typed";
import { id, type JsonRpcProvider, Wallet } from "ethers";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { type DeployedChain, startDeployedChain } from "../../test-support/deployed-chain.js";
import { jsonLine, tributary } from "../../test-support/run-tributary.js";

const E18 = 10n ** 18n;
const DAY = 86_400n;
const settings = DEFAULT_DEPLOY_OPTIONS.governor;
/** `IGovernor.ProposalState`, as OpenZeppelin numbers it. */
const STATE = { Pending: 0n, Active: 1n, Defeated: 3n, Succeeded: 4n, Queued: 5n, Executed: 7n };

let deployed: DeployedChain;
let chain: LocalChain;
let provider: JsonRpcProvider;
let deploymentFile: string;

beforeAll(async () => {
  deployed = await startDeployedChain({ governed: true });
  ({ chain, provider, deploymentFile } = deployed);
});

afterAll(async () => {
  await deployed?.stop();
});

afterEach(() => {
  vi.unstubAllEnvs();
});

const contracts = () => chain.system.deployment.contracts;
const gov = (...args: string[]) => tributary("gov", ...args, "--rpc", chain.url, "--deployment", deploymentFile);
const governor = () => connectTributaryGovernor(contracts().TributaryGovernor, provider);
const nonce = (wallet: Wallet) => provider.getTransactionCount(wallet.address);

/** Moves the chain's clock forward by `seconds` and mines a block, through the JSON-RPC endpoint. */
async function advance(seconds: bigint): Promise<void> {
  await provider.send("evm_increaseTime", [Number(seconds)]);
  await provider.send("evm_mine", []);
}

describe("tributary gov params", () => {
  it("lists every parameter governance sets with its value on chain", async () => {
    const result = await gov("params", "--json");
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    const { params } = jsonLine(result.stdout) as { params: { name: string; value: unknown; contract: string }[] };
    const value = (name: string) => params.find((param) => param.name === name)?.value;
    const jobs = await connectTrainingJobs(contracts().TrainingJobs, provider).parameters();
    expect(value("trainingJobs.protocolFeeBps")).toBe(String(jobs.protocolFeeBps));
    expect(value("trainingJobs.protocolFeeBps")).toBe(String(DEFAULT_DEPLOY_OPTIONS.jobs.protocolFeeBps));
    expect(value("trainingJobs.claimPeriod")).toBe(String(DEFAULT_DEPLOY_OPTIONS.jobs.claimPeriod));
    expect(value("modelRegistry.minModelStake")).toBe(String(DEFAULT_DEPLOY_OPTIONS.models.minModelStake));
    expect(value("optimisticVerifier.challengerBond")).toBe(String(DEFAULT_DEPLOY_OPTIONS.verifier.challengerBond));
    expect(value("staking.unbondingDelay")).toBe(String(DEFAULT_DEPLOY_OPTIONS.unbondingDelay));
    expect(value("treasury.burnShareBps")).toBe(String(DEFAULT_DEPLOY_OPTIONS.treasuryBurnBps));
    expect(value("paymentChannels.challengePeriod")).toBe(String(DEFAULT_DEPLOY_OPTIONS.channelChallengePeriod));
    expect(value("governor.proposalThreshold")).toBe(String(settings.proposalThreshold));
    expect(value("governor.votingPeriod")).toBe(String(settings.votingPeriod));
    expect(value("governor.quorumPercent")).toBe(String(settings.quorumPercent));
    expect(value("timelock.minDelay")).toBe(String(settings.timelockDelay));
    // A keyed parameter has one value per key.
    expect(value("optimisticVerifier.committeeMember")).toBeNull();

    const human = await gov("params");
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/^ {2}staking\.unbondingDelay +7 d \(604800 s\) +7d, 36h/m);
    expect(human.stdout).toMatch(/^ {2}treasury\.burnShareBps +5000 bps \(50 %\) /m);
    expect(human.stdout).toMatch(/^ {2}governor\.proposalThreshold +100000 TRIB /m);
    expect(human.stdout).toMatch(/^ {2}optimisticVerifier\.committeeMember:ADDRESS +\(one per key\) /m);
  });
});

describe("tributary gov: propose, vote, queue, execute", () => {
  it("changes parameters on chain through the governor and the timelock, refusing each step out of turn", async () => {
    const holder = await chain.fundedWallet({ tokens: 5_000_000n * E18 });
    const member = await chain.fundedWallet();
    const registrar = Wallet.createRandom().address;
    vi.stubEnv("TRIBUTARY_VOTER_KEY", holder.privateKey);
    expect((await tributary("token", "delegate", "--rpc", chain.url, "--deployment", deploymentFile)).code).toBe(0);

    const description = "Cheaper jobs, shorter claims, unbonding and delays, a 25 % burn, one committee member";
    const sets = [
      "trainingJobs.protocolFeeBps=500",
      "staking.unbondingDelay=3d",
      "trainingJobs.claimPeriod=7d",
      "treasury.burnShareBps=2500",
      `optimisticVerifier.committeeMember:${member.address}=true`,
      `attestationRegistry.registrar:${registrar}=true`,
      "governor.votingDelay=12h",
      "timelock.minDelay=1d",
    ];
    const proposed = await gov(
      "propose",
      ...sets.flatMap((set) => ["--set", set]),
      "--description",
      description,
      "--json",
    );
    expect(proposed.stderr).toBe("");
    expect(proposed.code).toBe(0);
    const line = jsonLine(proposed.stdout) as { proposalId: string; transactions: { hash: string }[] };

    // The calls, encoded here independently: the two TrainingJobs fields merge into one setParameters call that
    // keeps staleJobTimeout as deployed.
    const jobs = connectTrainingJobs(contracts().TrainingJobs, provider);
    const staking = connectStaking(contracts().Staking, provider);
    const treasury = connectTreasury(contracts().Treasury, provider);
    const verifier = connectOptimisticVerifier(contracts().OptimisticVerifier, provider);
    const timelock = connectTributaryTimelock(contracts().TributaryTimelock, provider);
    const attestation = connectAttestationRegistry(contracts().AttestationRegistry, provider);
    const registrarRole = id("REGISTRAR_ROLE");
    const calls = [
      [
        contracts().TrainingJobs,
        jobs.interface.encodeFunctionData("setParameters", [
          { protocolFeeBps: 500n, claimPeriod: 7n * DAY, staleJobTimeout: DEFAULT_DEPLOY_OPTIONS.jobs.staleJobTimeout },
        ]),
      ],
      [contracts().Staking, staking.interface.encodeFunctionData("setUnbondingDelay", [3n * DAY])],
      [contracts().Treasury, treasury.interface.encodeFunctionData("setBurnShare", [2_500n])],
      [
        contracts().OptimisticVerifier,
        verifier.interface.encodeFunctionData("setCommitteeMember", [member.address, true]),
      ],
      [
        contracts().AttestationRegistry,
        attestation.interface.encodeFunctionData("grantRole", [registrarRole, registrar]),
      ],
      [contracts().TributaryGovernor, governor().interface.encodeFunctionData("setVotingDelay", [12n * 3_600n])],
      [contracts().TributaryTimelock, timelock.interface.encodeFunctionData("updateDelay", [DAY])],
    ] as const;
    const targets = calls.map(([target]) => target);
    const datas = calls.map(([, data]) => data);
    const proposalId = await governor().hashProposal(
      targets,
      targets.map(() => 0n),
      datas,
      id(description),
    );
    expect(line.proposalId).toBe(String(proposalId));
    expect((await provider.getTransactionReceipt(line.transactions[0]?.hash ?? ""))?.status).toBe(1);
    expect(await governor().state(proposalId)).toBe(STATE.Pending);
    expect(await governor().proposalProposer(proposalId)).toBe(holder.address);

    const early = await gov("vote", String(proposalId), "for");
    expect(early.code).toBe(1);
    expect(early.stderr).toMatch(
      new RegExp(
        `^tributary: proposal ${proposalId} is Pending: voting has not started: it opens after .* \\(in 1 d\\); votes are cast only while it is Active; nothing was sent\\n$`,
      ),
    );

    await advance(settings.votingDelay + 1n);
    const before = await nonce(holder);
    const voted = await gov("vote", String(proposalId), "for", "--reason", "fees pay for the protocol", "--json");
    expect(voted.code).toBe(0);
    expect(jsonLine(voted.stdout)).toMatchObject({ support: "for", weight: String(5_000_000n * E18) });
    expect(await nonce(holder)).toBe(before + 1);
    expect(await governor().hasVoted(proposalId, holder.address)).toBe(true);
    const [against, forVotes, abstain] = await governor().proposalVotes(proposalId);
    expect([against, forVotes, abstain]).toEqual([0n, 5_000_000n * E18, 0n]);

    const tooSoon = await gov("queue", String(proposalId));
    expect(tooSoon.code).toBe(1);
    expect(tooSoon.stderr).toContain(`proposal ${proposalId} is Active: voting is open until `);
    expect(tooSoon.stderr).toContain("only a proposal that passed can be queued; nothing was sent");

    await advance(settings.votingPeriod + 1n);
    const shown = await gov("show", String(proposalId), "--json");
    expect(shown.code).toBe(0);
    const proposal = (jsonLine(shown.stdout) as { proposal: Record<string, unknown> }).proposal as {
      status: { state: string };
      description: string;
      calls: { text: string }[];
    };
    expect(proposal.status.state).toBe("Succeeded");
    expect(proposal.description).toBe(description);
    expect(proposal.calls.map((call) => call.text)).toEqual([
      `TrainingJobs.setParameters(parameters_=(protocolFeeBps=500, claimPeriod=${7n * DAY}, staleJobTimeout=${DEFAULT_DEPLOY_OPTIONS.jobs.staleJobTimeout}))`,
      `Staking.setUnbondingDelay(delay=${3n * DAY})`,
      "Treasury.setBurnShare(burnBps=2500)",
      `OptimisticVerifier.setCommitteeMember(member=${member.address.toLowerCase()}, isMember=true)`,
      `AttestationRegistry.grantRole(role=${registrarRole}, account=${registrar.toLowerCase()})`,
      "TributaryGovernor.setVotingDelay(newVotingDelay=43200)",
      `TributaryTimelock.updateDelay(newDelay=${DAY})`,
    ]);

    expect((await gov("queue", String(proposalId))).code).toBe(0);
    expect(await governor().state(proposalId)).toBe(STATE.Queued);

    const notYet = await gov("execute", String(proposalId), "--json");
    expect(notYet.code).toBe(1);
    expect(jsonLine(notYet.stdout)).toMatchObject({ ok: false, error: { code: "TIMELOCK_NOT_READY" } });
    expect(notYet.stderr).toMatch(/the timelock delay has not passed: executable from .* \(in (1 d 23 h|2 d)\)/);

    await advance(settings.timelockDelay + 1n);
    const executed = await gov("execute", String(proposalId));
    expect(executed.stderr).toBe("");
    expect(executed.code).toBe(0);
    expect(executed.stdout).toMatch(/^execute proposal \d+: transaction 0x[0-9a-f]{64}$/m);
    expect(await governor().state(proposalId)).toBe(STATE.Executed);
    // Each parameter changed on chain, read back through the typed contracts.
    expect(await jobs.parameters()).toEqual([500n, 7n * DAY, DEFAULT_DEPLOY_OPTIONS.jobs.staleJobTimeout]);
    expect(await staking.unbondingDelay()).toBe(3n * DAY);
    expect(await treasury.burnShareBps()).toBe(2_500n);
    expect(await verifier.isCommitteeMember(member.address)).toBe(true);
    expect(await attestation.hasRole(registrarRole, registrar)).toBe(true);
    expect(await governor().votingDelay()).toBe(12n * 3_600n);
    expect(await timelock.getMinDelay()).toBe(DAY);

    const listed = await gov("list", "--json");
    expect(listed.code).toBe(0);
    const { proposals } = jsonLine(listed.stdout) as { proposals: { proposalId: string; status: { state: string } }[] };
    expect(proposals).toEqual([
      expect.objectContaining({
        proposalId: String(proposalId),
        status: expect.objectContaining({ state: "Executed" }),
      }),
    ]);
    const again = await gov("execute", String(proposalId));
    expect(again.code).toBe(1);
    expect(again.stderr).toContain(`proposal ${proposalId} is Executed: it was executed;`);
  });
});
