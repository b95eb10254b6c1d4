import { DEFAULT_DEPLOY_OPTIONS, deploySystem } from "@tributary/contracts/deploy";
import { expect } from "chai";
import { DAY, defined, ethers, increaseTime, networkHelpers } from "../helpers/system.js";

const ProposalState = { Pending: 0n, Active: 1n, Defeated: 3n, Succeeded: 4n, Queued: 5n, Executed: 7n };

/** The production wiring: every administrator role belongs to the timelock, which only the governor feeds. */
async function governedFixture() {
  const [deployer, voter, outsider] = await ethers.getSigners();
  const accounts = {
    deployer: defined(deployer, "deployer"),
    voter: defined(voter, "voter"),
    outsider: defined(outsider, "outsider"),
  };
  const { contracts } = await deploySystem(ethers, accounts.deployer, DEFAULT_DEPLOY_OPTIONS);
  await contracts.token.connect(accounts.deployer).transfer(accounts.voter.address, 10_000_000n * 10n ** 18n);
  await contracts.token.connect(accounts.voter).delegate(accounts.voter.address);
  return { ...contracts, ...accounts };
}

type Governed = Awaited<ReturnType<typeof governedFixture>>;

/** Proposes, votes for, queues and executes `calls` through the governor, advancing time as a real vote would. */
async function passProposal(g: Governed, calls: { target: string; data: string }[], description: string) {
  const targets = calls.map((c) => c.target);
  const values = calls.map(() => 0n);
  const datas = calls.map((c) => c.data);
  const descriptionHash = ethers.id(description);
  await g.governor.connect(g.voter).propose(targets, values, datas, description);
  const proposalId = await g.governor.hashProposal(targets, values, datas, descriptionHash);
  expect(await g.governor.state(proposalId)).to.equal(ProposalState.Pending);
  await increaseTime(DAY + 1n);
  await g.governor.connect(g.voter).castVote(proposalId, 1);
  await increaseTime(5n * DAY + 1n);
  expect(await g.governor.state(proposalId)).to.equal(ProposalState.Succeeded);
  await g.governor.queue(targets, values, datas, descriptionHash);
  expect(await g.governor.state(proposalId)).to.equal(ProposalState.Queued);
  await increaseTime(2n * DAY + 1n);
  await g.governor.execute(targets, values, datas, descriptionHash);
  expect(await g.governor.state(proposalId)).to.equal(ProposalState.Executed);
}

describe("Governance (Governor + TimelockController)", () => {
  it("the timelock, and only the timelock, administers every contract; the deployer kept nothing", async () => {
    const g = await networkHelpers.loadFixture(governedFixture);
    const timelock = await g.timelock.getAddress();
    for (const contract of [g.token, g.treasury, g.staking, g.jobs, g.models, g.verifier, g.channels, g.attestation]) {
      const admin = await contract.DEFAULT_ADMIN_ROLE();
      expect(await contract.hasRole(admin, timelock)).to.equal(true);
      expect(await contract.hasRole(admin, g.deployer.address)).to.equal(false);
    }
    expect(await g.token.hasRole(await g.token.MINTER_ROLE(), g.deployer.address)).to.equal(false);
    expect(await g.timelock.hasRole(await g.timelock.DEFAULT_ADMIN_ROLE(), g.deployer.address)).to.equal(false);
    expect(await g.timelock.hasRole(await g.timelock.PROPOSER_ROLE(), await g.governor.getAddress())).to.equal(true);
    expect(await g.timelock.hasRole(await g.timelock.EXECUTOR_ROLE(), ethers.ZeroAddress)).to.equal(true);
    expect(await g.governor.timelock()).to.equal(timelock);
    expect(await g.governor.CLOCK_MODE()).to.equal("mode=timestamp");
    // The contracts are wired to each other.
    expect(await g.staking.hasRole(await g.staking.LOCKER_ROLE(), await g.models.getAddress())).to.equal(true);
    // The registry slashes a model's own locked stake; the verifier reaches Staking only through it.
    expect(await g.staking.hasRole(await g.staking.SLASHER_ROLE(), await g.models.getAddress())).to.equal(true);
    expect(await g.staking.hasRole(await g.staking.SLASHER_ROLE(), await g.verifier.getAddress())).to.equal(false);
    expect(await g.models.hasRole(await g.models.VERIFIER_ROLE(), await g.verifier.getAddress())).to.equal(true);
  });

  it("a passed proposal changes parameters and authorises a slasher through the timelock", async () => {
    const g = await networkHelpers.loadFixture(governedFixture);
    const slasher = await g.staking.SLASHER_ROLE();
    await passProposal(
      g,
      [
        {
          target: await g.jobs.getAddress(),
          data: g.jobs.interface.encodeFunctionData("setParameters", [
            { protocolFeeBps: 500n, claimPeriod: 7n * DAY, staleJobTimeout: 7n * DAY },
          ]),
        },
        {
          target: await g.staking.getAddress(),
          data: g.staking.interface.encodeFunctionData("grantRole", [slasher, g.outsider.address]),
        },
      ],
      "Raise the job fee to 5 % and authorise a second slasher",
    );
    expect(await g.jobs.parameters()).to.deep.equal([500n, 7n * DAY, 7n * DAY]);
    expect(await g.staking.hasRole(slasher, g.outsider.address)).to.equal(true);
  });

  describe("attack: governance bypass", () => {
    it("nobody else can set parameters directly, the deployer included", async () => {
      const g = await networkHelpers.loadFixture(governedFixture);
      for (const caller of [g.deployer, g.voter]) {
        await expect(
          g.jobs.connect(caller).setParameters({ protocolFeeBps: 0n, claimPeriod: DAY, staleJobTimeout: DAY }),
        )
          .to.be.revertedWithCustomError(g.jobs, "AccessControlUnauthorizedAccount")
          .withArgs(caller.address, await g.jobs.DEFAULT_ADMIN_ROLE());
        await expect(g.treasury.connect(caller).withdraw(g.token, caller.address, 1n))
          .to.be.revertedWithCustomError(g.treasury, "AccessControlUnauthorizedAccount")
          .withArgs(caller.address, await g.treasury.DEFAULT_ADMIN_ROLE());
      }
    });

    it("the timelock takes operations only from the governor, and the governor's settings only from itself", async () => {
      const g = await networkHelpers.loadFixture(governedFixture);
      const data = g.jobs.interface.encodeFunctionData("setParameters", [
        { protocolFeeBps: 0n, claimPeriod: DAY, staleJobTimeout: DAY },
      ]);
      await expect(g.timelock.connect(g.voter).schedule(g.jobs, 0n, data, ethers.ZeroHash, ethers.ZeroHash, 2n * DAY))
        .to.be.revertedWithCustomError(g.timelock, "AccessControlUnauthorizedAccount")
        .withArgs(g.voter.address, await g.timelock.PROPOSER_ROLE());
      await expect(g.governor.connect(g.voter).setVotingDelay(0n))
        .to.be.revertedWithCustomError(g.governor, "GovernorOnlyExecutor")
        .withArgs(g.voter.address);
      await expect(g.timelock.connect(g.voter).updateDelay(0n))
        .to.be.revertedWithCustomError(g.timelock, "TimelockUnauthorizedCaller")
        .withArgs(g.voter.address);
    });

    it("a proposal cannot execute before the timelock delay, nor at all when defeated", async () => {
      const g = await networkHelpers.loadFixture(governedFixture);
      const targets = [await g.treasury.getAddress()];
      const datas = [g.treasury.interface.encodeFunctionData("setBurnShare", [10_000n])];
      const hash = ethers.id("burn everything");
      await g.governor.connect(g.voter).propose(targets, [0n], datas, "burn everything");
      const id = await g.governor.hashProposal(targets, [0n], datas, hash);
      await increaseTime(DAY + 1n);
      await g.governor.connect(g.voter).castVote(id, 1);
      await increaseTime(5n * DAY + 1n);
      await g.governor.queue(targets, [0n], datas, hash);
      await expect(g.governor.execute(targets, [0n], datas, hash)).to.be.revertedWithCustomError(
        g.timelock,
        "TimelockUnexpectedOperationState",
      );

      const against = ethers.id("lower the burn");
      const lower = [g.treasury.interface.encodeFunctionData("setBurnShare", [0n])];
      await g.governor.connect(g.voter).propose(targets, [0n], lower, "lower the burn");
      const id2 = await g.governor.hashProposal(targets, [0n], lower, against);
      await increaseTime(DAY + 1n);
      await g.governor.connect(g.voter).castVote(id2, 0);
      await increaseTime(5n * DAY + 1n);
      expect(await g.governor.state(id2)).to.equal(ProposalState.Defeated);
      await expect(g.governor.queue(targets, [0n], lower, against)).to.be.revertedWithCustomError(
        g.governor,
        "GovernorUnexpectedProposalState",
      );
    });

    it("an account without the proposal threshold cannot propose", async () => {
      const g = await networkHelpers.loadFixture(governedFixture);
      await expect(g.governor.connect(g.outsider).propose([await g.treasury.getAddress()], [0n], ["0x"], "x"))
        .to.be.revertedWithCustomError(g.governor, "GovernorInsufficientProposerVotes")
        .withArgs(g.outsider.address, 0n, DEFAULT_DEPLOY_OPTIONS.governor.proposalThreshold);
    });
  });
});
