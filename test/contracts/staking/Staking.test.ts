import { expect } from "chai";
import fc from "fast-check";
import { shouldBeGovernanceOnly } from "../helpers/behaviours.js";
import { fuzzInvariant } from "../helpers/fuzz.js";
import { BPS, DAY, ethers, increaseTime, latestTime, loadSystem, type System, units } from "../helpers/system.js";

const DELAY = 7n * DAY;

async function stakingFixture() {
  const system = await loadSystem();
  const { staking, token, alice, bob, carol, challenger, gov } = system;
  for (const account of [alice, bob, carol, challenger])
    await token.connect(account).approve(staking, ethers.MaxUint256);
  // Alice plays the authorised slasher and locker (the verifier and the model registry in production).
  await staking.connect(gov).grantRole(await staking.SLASHER_ROLE(), alice.address);
  await staking.connect(gov).grantRole(await staking.LOCKER_ROLE(), alice.address);
  return system;
}

describe("Staking", () => {
  it("exposes its token, treasury, roles and parameters", async () => {
    const { staking, token, treasury } = await stakingFixture();
    expect(await staking.stakingToken()).to.equal(await token.getAddress());
    expect(await staking.treasury()).to.equal(await treasury.getAddress());
    expect(await staking.unbondingDelay()).to.equal(DELAY);
    expect(await staking.winnerShareBps()).to.equal(5_000n);
    expect(await staking.MAX_UNBONDING_DELAY()).to.equal(90n * DAY);
    expect(await staking.SLASHER_ROLE()).to.equal(ethers.id("SLASHER_ROLE"));
    expect(await staking.LOCKER_ROLE()).to.equal(ethers.id("LOCKER_ROLE"));
  });

  describe("stake", () => {
    it("pulls the tokens, adds to the stake and emits Staked(account, amount, newStake)", async () => {
      const { staking, token, bob } = await stakingFixture();
      await staking.connect(bob).stake(units(10));
      const tx = staking.connect(bob).stake(units(5));
      await expect(tx).to.emit(staking, "Staked").withArgs(bob.address, units(5), units(15));
      await expect(tx).to.changeTokenBalances(ethers, token, [bob, staking], [-units(5), units(5)]);
      expect(await staking.stakeOf(bob.address)).to.equal(units(15));
      expect(await staking.totalStaked()).to.equal(units(15));
    });

    it("rejects zero with StakingZeroAmount", async () => {
      const { staking, bob } = await stakingFixture();
      await expect(staking.connect(bob).stake(0n)).to.be.revertedWithCustomError(staking, "StakingZeroAmount");
    });

    it("rejects a fee-on-transfer staking token with StakingTransferMismatch", async () => {
      const { treasury, gov, bob } = await stakingFixture();
      const fot = await ethers.deployContract("FeeOnTransferToken");
      const staking = await ethers.deployContract("Staking", [fot, treasury, DELAY, 5_000n, gov.address]);
      await fot.mint(bob.address, 1_000n);
      await fot.connect(bob).approve(staking, 1_000n);
      await expect(staking.connect(bob).stake(1_000n))
        .to.be.revertedWithCustomError(staking, "StakingTransferMismatch")
        .withArgs(1_000n, 990n);
    });
  });

  describe("requestUnstake and withdraw", () => {
    it("moves stake into unbonding until the delay passes, then pays it out", async () => {
      const { staking, token, bob } = await stakingFixture();
      await staking.connect(bob).stake(units(10));
      const tx = await staking.connect(bob).requestUnstake(units(4));
      const releaseTime = (await latestTime()) + DELAY;
      await expect(tx).to.emit(staking, "UnstakeRequested").withArgs(bob.address, units(4), units(4), releaseTime);
      expect(await staking.stakeOf(bob.address)).to.equal(units(6));
      expect(await staking.unbondingOf(bob.address)).to.deep.equal([units(4), releaseTime]);
      expect(await staking.totalStaked()).to.equal(units(10));

      await expect(staking.connect(bob).withdraw())
        .to.be.revertedWithCustomError(staking, "StakingUnbondingNotReady")
        .withArgs(bob.address, releaseTime);
      await increaseTime(DELAY);
      const withdrawal = staking.connect(bob).withdraw();
      await expect(withdrawal).to.emit(staking, "Withdrawn").withArgs(bob.address, units(4));
      await expect(withdrawal).to.changeTokenBalances(ethers, token, [staking, bob], [-units(4), units(4)]);
      expect(await staking.unbondingOf(bob.address)).to.deep.equal([0n, 0n]);
      expect(await staking.totalStaked()).to.equal(units(6));
    });

    it("restarts the delay for the whole unbonding amount on a new request", async () => {
      const { staking, bob } = await stakingFixture();
      await staking.connect(bob).stake(units(10));
      await staking.connect(bob).requestUnstake(units(1));
      await increaseTime(DAY);
      const tx = await staking.connect(bob).requestUnstake(units(2));
      const releaseTime = (await latestTime()) + DELAY;
      await expect(tx).to.emit(staking, "UnstakeRequested").withArgs(bob.address, units(2), units(3), releaseTime);
    });

    it("rejects zero, and more than the free (unlocked) stake with StakingInsufficientStake", async () => {
      const { staking, alice, bob } = await stakingFixture();
      await staking.connect(bob).stake(units(10));
      await staking.connect(alice).lock(bob.address, units(7));
      await expect(staking.connect(bob).requestUnstake(0n)).to.be.revertedWithCustomError(staking, "StakingZeroAmount");
      await expect(staking.connect(bob).requestUnstake(units(3) + 1n))
        .to.be.revertedWithCustomError(staking, "StakingInsufficientStake")
        .withArgs(bob.address, units(3), units(3) + 1n);
    });

    it("rejects a withdrawal with nothing unbonding with StakingNothingToWithdraw", async () => {
      const { staking, bob } = await stakingFixture();
      await expect(staking.connect(bob).withdraw())
        .to.be.revertedWithCustomError(staking, "StakingNothingToWithdraw")
        .withArgs(bob.address);
    });

    it("cannot be re-entered from the token during a withdrawal", async () => {
      const { treasury, gov, bob } = await stakingFixture();
      const evil = await ethers.deployContract("ReentrantToken");
      const staking = await ethers.deployContract("Staking", [evil, treasury, 0n, 5_000n, gov.address]);
      await evil.mint(bob.address, 100n);
      await evil.connect(bob).approve(staking, 100n);
      await staking.connect(bob).stake(100n);
      await staking.connect(bob).requestUnstake(100n);
      await evil.arm(staking, staking.interface.encodeFunctionData("withdraw"));
      await expect(staking.connect(bob).withdraw()).to.be.revertedWithCustomError(
        staking,
        "ReentrancyGuardReentrantCall",
      );
      expect((await staking.unbondingOf(bob.address))[0]).to.equal(100n);
    });
  });

  describe("slash", () => {
    it("takes active stake first, then unbonding, and splits it between winner and treasury", async () => {
      const { staking, token, treasury, alice, bob, carol } = await stakingFixture();
      await staking.connect(bob).stake(units(10));
      await staking.connect(bob).requestUnstake(units(4));
      const amount = units(8);
      const toWinner = (amount * 5_000n) / BPS;
      const toTreasury = amount - toWinner;
      const burned = (toTreasury * 5_000n) / BPS;
      const tx = staking.connect(alice).slash(bob.address, amount, carol.address);
      await expect(tx)
        .to.emit(staking, "Slashed")
        .withArgs(bob.address, alice.address, carol.address, amount, toWinner, toTreasury);
      await expect(tx).to.changeTokenBalances(
        ethers,
        token,
        [staking, carol, treasury],
        [-amount, toWinner, toTreasury - burned],
      );
      expect(await staking.stakeOf(bob.address)).to.equal(0n);
      expect((await staking.unbondingOf(bob.address))[0]).to.equal(units(2));
      expect(await staking.totalSlashed()).to.equal(amount);
      expect(await staking.totalStaked()).to.equal(units(2));
    });

    it("takes no more than the account holds and returns what it took", async () => {
      const { staking, alice, bob, carol } = await stakingFixture();
      await staking.connect(bob).stake(units(3));
      expect(await staking.connect(alice).slash.staticCall(bob.address, units(100), carol.address)).to.equal(units(3));
      await staking.connect(alice).slash(bob.address, units(100), carol.address);
      expect(await staking.totalStaked()).to.equal(0n);
      // Nothing left: a further slash takes nothing and emits nothing.
      await expect(staking.connect(alice).slash(bob.address, 1n, carol.address)).not.to.emit(staking, "Slashed");
    });

    it("never takes locked stake: free active stake first, then unbonding, the lock stays whole", async () => {
      const { staking, alice, bob, carol } = await stakingFixture();
      await staking.connect(bob).stake(units(10));
      await staking.connect(alice).lock(bob.address, units(7));
      await staking.connect(bob).requestUnstake(units(1));
      // 9 active (7 locked, 2 free) and 1 unbonding: a slash of 5 can take only 2 + 1.
      expect(await staking.connect(alice).slash.staticCall(bob.address, units(5), carol.address)).to.equal(units(3));
      await staking.connect(alice).slash(bob.address, units(5), carol.address);
      expect(await staking.stakeOf(bob.address)).to.equal(units(7));
      expect(await staking.lockedOf(bob.address)).to.equal(units(7));
      expect((await staking.unbondingOf(bob.address))[0]).to.equal(0n);
      // Fully locked: nothing more is slashable until the locker unlocks.
      await expect(staking.connect(alice).slash(bob.address, 1n, carol.address)).not.to.emit(staking, "Slashed");
      await staking.connect(alice).unlock(bob.address, units(2));
      await staking.connect(alice).slash(bob.address, units(5), carol.address);
      expect(await staking.stakeOf(bob.address)).to.equal(units(5));
      expect(await staking.lockedOf(bob.address)).to.equal(units(5));
    });

    it("rejects the zero winner with StakingInvalidWinner", async () => {
      const { staking, alice, bob } = await stakingFixture();
      await expect(staking.connect(alice).slash(bob.address, 1n, ethers.ZeroAddress))
        .to.be.revertedWithCustomError(staking, "StakingInvalidWinner")
        .withArgs(ethers.ZeroAddress);
    });

    it("is reserved to SLASHER_ROLE", async () => {
      const { staking, bob, carol } = await stakingFixture();
      await expect(staking.connect(bob).slash(carol.address, 1n, bob.address))
        .to.be.revertedWithCustomError(staking, "AccessControlUnauthorizedAccount")
        .withArgs(bob.address, await staking.SLASHER_ROLE());
    });
  });

  describe("lock and unlock", () => {
    it("locks free stake and unlocks at most what is locked, emitting LockUpdated", async () => {
      const { staking, alice, bob } = await stakingFixture();
      await staking.connect(bob).stake(units(10));
      await expect(staking.connect(alice).lock(bob.address, units(6)))
        .to.emit(staking, "LockUpdated")
        .withArgs(bob.address, alice.address, units(6));
      await expect(staking.connect(alice).lock(bob.address, units(5)))
        .to.be.revertedWithCustomError(staking, "StakingInsufficientStake")
        .withArgs(bob.address, units(4), units(5));
      await expect(staking.connect(alice).lock(bob.address, 0n)).to.be.revertedWithCustomError(
        staking,
        "StakingZeroAmount",
      );
      await expect(staking.connect(alice).unlock(bob.address, units(100)))
        .to.emit(staking, "LockUpdated")
        .withArgs(bob.address, alice.address, 0n);
    });

    it("is reserved to LOCKER_ROLE", async () => {
      const { staking, bob } = await stakingFixture();
      const role = await staking.LOCKER_ROLE();
      await expect(staking.connect(bob).lock(bob.address, 1n))
        .to.be.revertedWithCustomError(staking, "AccessControlUnauthorizedAccount")
        .withArgs(bob.address, role);
      await expect(staking.connect(bob).unlock(bob.address, 1n))
        .to.be.revertedWithCustomError(staking, "AccessControlUnauthorizedAccount")
        .withArgs(bob.address, role);
    });
  });

  describe("parameters", () => {
    it("setUnbondingDelay changes the delay up to 90 days", async () => {
      const { staking, gov } = await stakingFixture();
      await expect(staking.connect(gov).setUnbondingDelay(90n * DAY))
        .to.emit(staking, "UnbondingDelayUpdated")
        .withArgs(DELAY, 90n * DAY);
      await expect(staking.connect(gov).setUnbondingDelay(90n * DAY + 1n))
        .to.be.revertedWithCustomError(staking, "StakingInvalidUnbondingDelay")
        .withArgs(90n * DAY + 1n);
    });

    it("setWinnerShare changes the share up to 100 %", async () => {
      const { staking, gov } = await stakingFixture();
      await expect(staking.connect(gov).setWinnerShare(BPS))
        .to.emit(staking, "WinnerShareUpdated")
        .withArgs(5_000n, BPS);
      await expect(staking.connect(gov).setWinnerShare(BPS + 1n))
        .to.be.revertedWithCustomError(staking, "StakingInvalidWinnerShare")
        .withArgs(BPS + 1n);
    });

    shouldBeGovernanceOnly(stakingFixture, (s: System) => s.staking, {
      setUnbondingDelay: (s, caller) => s.staking.connect(caller).setUnbondingDelay(DAY),
      setWinnerShare: (s, caller) => s.staking.connect(caller).setWinnerShare(1n),
      "grantRole(SLASHER_ROLE)": async (s, caller) =>
        s.staking.connect(caller).grantRole(await s.staking.SLASHER_ROLE(), s.carol.address),
    });
  });

  describe("invariant: total stake = everything staked − withdrawn − slashed = Σ (active + unbonding)", () => {
    type Action =
      | { kind: "stake"; who: number; amount: bigint }
      | { kind: "unstake"; who: number; amount: bigint }
      | { kind: "withdraw"; who: number }
      | { kind: "slash"; who: number; amount: bigint }
      | { kind: "wait"; seconds: bigint };
    const who = fc.integer({ min: 0, max: 2 });
    const amount = fc.bigInt({ min: 1n, max: units(50) });
    const action: fc.Arbitrary<Action> = fc.oneof(
      fc.record({ kind: fc.constant("stake" as const), who, amount }),
      fc.record({ kind: fc.constant("unstake" as const), who, amount }),
      fc.record({ kind: fc.constant("withdraw" as const), who }),
      fc.record({ kind: fc.constant("slash" as const), who, amount }),
      fc.record({ kind: fc.constant("wait" as const), seconds: fc.bigInt({ min: 1n, max: 10n * DAY }) }),
    );

    it("holds over random stake/unstake/withdraw/slash sequences (fuzzed)", async () => {
      await fuzzInvariant("staking conservation", fc.array(action, { minLength: 1, maxLength: 14 }), async (seq) => {
        const { staking, token, alice, bob, carol, challenger } = await stakingFixture();
        const stakers = [bob, carol, challenger] as const;
        // A second, plain model of the accounts, written here from the specification.
        const model = stakers.map(() => ({ active: 0n, unbonding: 0n, release: 0n }));
        let staked = 0n;
        let withdrawn = 0n;
        let slashed = 0n;
        let txs = 0;
        for (const step of seq) {
          if (step.kind === "wait") {
            await increaseTime(step.seconds);
            continue;
          }
          const signer = stakers[step.who] ?? bob;
          const account = model[step.who] ?? { active: 0n, unbonding: 0n, release: 0n };
          txs += 1;
          if (step.kind === "stake") {
            await staking.connect(signer).stake(step.amount);
            account.active += step.amount;
            staked += step.amount;
          } else if (step.kind === "unstake") {
            if (step.amount > account.active) {
              await expect(staking.connect(signer).requestUnstake(step.amount)).to.be.revertedWithCustomError(
                staking,
                "StakingInsufficientStake",
              );
              continue;
            }
            await staking.connect(signer).requestUnstake(step.amount);
            account.active -= step.amount;
            account.unbonding += step.amount;
            account.release = (await latestTime()) + DELAY;
          } else if (step.kind === "withdraw") {
            const ready = account.unbonding > 0n && (await latestTime()) + 1n >= account.release;
            if (!ready) {
              await expect(staking.connect(signer).withdraw()).to.revert(ethers);
              continue;
            }
            await staking.connect(signer).withdraw();
            withdrawn += account.unbonding;
            account.unbonding = 0n;
          } else {
            await staking.connect(alice).slash(signer.address, step.amount, alice.address);
            const fromActive = step.amount < account.active ? step.amount : account.active;
            const rest = step.amount - fromActive;
            const fromUnbonding = rest < account.unbonding ? rest : account.unbonding;
            account.active -= fromActive;
            account.unbonding -= fromUnbonding;
            slashed += fromActive + fromUnbonding;
          }
          const total = await staking.totalStaked();
          expect(total).to.equal(staked - withdrawn - slashed);
          expect(total).to.equal(model.reduce((sum, a) => sum + a.active + a.unbonding, 0n));
          expect(await token.balanceOf(staking)).to.equal(total);
          expect(await staking.totalSlashed()).to.equal(slashed);
        }
        for (const [index, signer] of stakers.entries()) {
          expect(await staking.stakeOf(signer.address)).to.equal(model[index]?.active);
          expect((await staking.unbondingOf(signer.address))[0]).to.equal(model[index]?.unbonding);
        }
        return txs;
      });
    });
  });
});
