import { expect } from "chai";
import fc from "fast-check";
import { fuzzInvariant } from "../helpers/fuzz.js";
import { MIN_STAKE } from "../helpers/models.js";
import { ethers, networkHelpers, units } from "../helpers/system.js";
import { INPUT, PAYMENT, RESPONSE, SLASH, verifierFixture, WRONG } from "../helpers/verifier.js";

/** The verifier fixture (model 1 locks 1,000 of the provider's 5,000) plus model 2 locking the other 4,000. */
async function fullyLocked() {
  const f = await verifierFixture();
  await f.models.connect(f.provider).registerModel({
    modelHash: ethers.id("weights 2"),
    modelURI: "bafkweights2",
    endpoint: "https://provider.example/2",
    pricePerToken: 1n,
    licensePrice: 0n,
    paymentToken: f.usdc.target,
    jobId: 0n,
    stake: units(4_000),
  });
  return f;
}

type Fixture = Awaited<ReturnType<typeof verifierFixture>>;

/** Creates, answers and disputes a task on `modelId`; returns its id. */
async function disputedTask(f: Fixture, modelId: bigint): Promise<bigint> {
  await f.verifier.connect(f.buyer).createTask(modelId, INPUT, f.usdc, PAYMENT);
  const taskId = await f.verifier.taskCount();
  await f.verifier.connect(f.provider).submitResult(taskId, RESPONSE);
  await f.verifier.connect(f.challenger).dispute(taskId, WRONG);
  return taskId;
}

/** Two committee members find the provider wrong: the challenger wins and the provider is slashed. */
async function loseDispute(f: Fixture, taskId: bigint): Promise<void> {
  await f.verifier.connect(f.members[0]).vote(taskId, false);
  await f.verifier.connect(f.members[1]).vote(taskId, false);
}

describe("ModelRegistry stake accounting under slashes (issue 12, item 6)", () => {
  it("attack: slash a fully locked provider, then deactivate: only the model's remaining stake is unlocked", async () => {
    const f = await fullyLocked();
    const { models, staking, provider } = f;
    expect(await staking.lockedOf(provider.address)).to.equal(units(5_000));
    const taskId = await disputedTask(f, 1n);
    // The lost dispute takes the slash from model 1's own locked stake, which falls below the minimum: model 1 is
    // deactivated at once and only its remaining 500 is unlocked.
    await f.verifier.connect(f.members[0]).vote(taskId, false);
    await expect(f.verifier.connect(f.members[1]).vote(taskId, false))
      .to.emit(models, "ModelSlashed")
      .withArgs(1n, SLASH, SLASH, MIN_STAKE - SLASH)
      .and.to.emit(models, "ModelDeactivated")
      .withArgs(1n, MIN_STAKE - SLASH);
    const [one, two] = [await models.getModel(1n), await models.getModel(2n)];
    expect([one.active, one.stake]).to.deep.equal([false, 0n]);
    expect([two.active, two.stake]).to.deep.equal([true, units(4_000)]);
    expect(await staking.stakeOf(provider.address)).to.equal(units(5_000) - SLASH);
    // Model 2 stays fully backed: the provider cannot deactivate model 1 again to unlock its declared 1,000, and can
    // unstake only what is not locked for model 2.
    expect(await staking.lockedOf(provider.address)).to.equal(two.stake);
    await expect(models.connect(provider).deactivateModel(1n))
      .to.be.revertedWithCustomError(models, "ModelRegistryInactive")
      .withArgs(1n);
    await expect(staking.connect(provider).requestUnstake(units(500) + 1n))
      .to.be.revertedWithCustomError(staking, "StakingInsufficientStake")
      .withArgs(provider.address, units(500), units(500) + 1n);
    // Deactivating model 2 unlocks exactly its own stake.
    await expect(models.connect(provider).deactivateModel(2n))
      .to.emit(models, "ModelDeactivated")
      .withArgs(2n, units(4_000));
    expect(await staking.lockedOf(provider.address)).to.equal(0n);
  });

  it("attack: a model slashed below the minimum takes no new tasks, and later lost disputes still slash", async () => {
    const f = await verifierFixture();
    const { models, staking, verifier, provider, buyer } = f;
    const first = await disputedTask(f, 1n);
    // A second task answered before the slash, disputed afterwards.
    await verifier.connect(buyer).createTask(1n, INPUT, f.usdc, PAYMENT);
    const second = await verifier.taskCount();
    await verifier.connect(provider).submitResult(second, RESPONSE);
    await loseDispute(f, first);
    expect((await models.getModel(1n)).active).to.equal(false);
    await expect(verifier.connect(buyer).createTask(1n, INPUT, f.usdc, PAYMENT))
      .to.be.revertedWithCustomError(verifier, "OptimisticVerifierModelInactive")
      .withArgs(1n);
    // The model's stake is gone, but the provider's free stake still answers for the task it served.
    await verifier.connect(f.challenger).dispute(second, WRONG);
    const before = await staking.stakeOf(provider.address);
    await f.verifier.connect(f.members[0]).vote(second, false);
    await expect(f.verifier.connect(f.members[1]).vote(second, false))
      .to.emit(models, "ModelSlashed")
      .withArgs(1n, 0n, SLASH, 0n);
    expect(await staking.stakeOf(provider.address)).to.equal(before - SLASH);
  });

  it("slashModel is reserved to VERIFIER_ROLE", async () => {
    const { models, stranger } = await verifierFixture();
    await expect(models.connect(stranger).slashModel(1n, 1n, stranger.address))
      .to.be.revertedWithCustomError(models, "AccessControlUnauthorizedAccount")
      .withArgs(stranger.address, await models.VERIFIER_ROLE());
  });

  describe("invariant: Σ models' locked stake = lockedOf(provider) ≤ stakeOf(provider) (fuzzed)", () => {
    type Action =
      | { kind: "slash"; model: number; amount: bigint }
      | { kind: "deactivate"; model: number }
      | { kind: "unstake"; amount: bigint }
      | { kind: "stake"; amount: bigint };
    const model = fc.integer({ min: 0, max: 2 });
    const amount = fc.bigInt({ min: 1n, max: units(2_500) });
    const action: fc.Arbitrary<Action> = fc.oneof(
      { weight: 4, arbitrary: fc.record({ kind: fc.constant("slash" as const), model, amount }) },
      { weight: 1, arbitrary: fc.record({ kind: fc.constant("deactivate" as const), model }) },
      { weight: 2, arbitrary: fc.record({ kind: fc.constant("unstake" as const), amount }) },
      { weight: 1, arbitrary: fc.record({ kind: fc.constant("stake" as const), amount }) },
    );
    const stakes = fc.array(fc.bigInt({ min: MIN_STAKE, max: units(1_600) }), { minLength: 3, maxLength: 3 });

    /** The provider stakes 5,000 and registers three models; alice plays the verifier. */
    async function threeModels() {
      const f = await verifierFixture();
      await f.models.connect(f.gov).grantRole(await f.models.VERIFIER_ROLE(), f.alice.address);
      return f;
    }

    it("holds over random slashes, deactivations, unstakes and stakes across three models", async () => {
      const cases = fc.record({ stakes, steps: fc.array(action, { minLength: 1, maxLength: 12 }) });
      await fuzzInvariant("model stake accounting", cases, async ({ stakes: declared, steps }) => {
        const f = await networkHelpers.loadFixture(threeModels);
        const { models, staking, provider, alice } = f;
        // Model 1 (the fixture's) is replaced by three fresh ones so every stake is random.
        await models.connect(provider).deactivateModel(1n);
        for (const [i, stake] of declared.entries()) {
          await models.connect(provider).registerModel({
            modelHash: ethers.id(`weights ${i}`),
            modelURI: "bafk",
            endpoint: "https://provider.example",
            pricePerToken: 1n,
            licensePrice: 0n,
            paymentToken: f.usdc.target,
            jobId: 0n,
            stake,
          });
        }
        // A plain reference model of the provider, written here from the specification.
        const ref = {
          active: units(5_000),
          unbonding: 0n,
          slashed: 0n,
          stakes: [...declared],
          live: [true, true, true],
        };
        const locked = () => ref.stakes.reduce((sum, s) => sum + s, 0n);
        let txs = 0;
        for (const step of steps) {
          txs += 1;
          if (step.kind === "slash") {
            const i = step.model;
            const own = ref.live[i] ? (ref.stakes[i] ?? 0n) : 0n;
            const fromModel = step.amount < own ? step.amount : own;
            ref.stakes[i] = (ref.stakes[i] ?? 0n) - fromModel;
            const free = ref.active - locked();
            const fromActive = step.amount < free ? step.amount : free;
            const rest = step.amount - fromActive;
            const fromUnbonding = rest < ref.unbonding ? rest : ref.unbonding;
            ref.active -= fromActive;
            ref.unbonding -= fromUnbonding;
            ref.slashed += fromActive + fromUnbonding;
            await models.connect(alice).slashModel(BigInt(i + 2), step.amount, alice.address);
            if (ref.live[i] && (ref.stakes[i] ?? 0n) < MIN_STAKE) {
              ref.live[i] = false;
              ref.stakes[i] = 0n;
            }
          } else if (step.kind === "deactivate") {
            const i = step.model;
            if (!ref.live[i]) {
              await expect(models.connect(provider).deactivateModel(BigInt(i + 2)))
                .to.be.revertedWithCustomError(models, "ModelRegistryInactive")
                .withArgs(BigInt(i + 2));
              continue;
            }
            await expect(models.connect(provider).deactivateModel(BigInt(i + 2)))
              .to.emit(models, "ModelDeactivated")
              .withArgs(BigInt(i + 2), ref.stakes[i]);
            ref.live[i] = false;
            ref.stakes[i] = 0n;
          } else if (step.kind === "unstake") {
            const free = ref.active - locked();
            if (step.amount > free) {
              await expect(staking.connect(provider).requestUnstake(step.amount))
                .to.be.revertedWithCustomError(staking, "StakingInsufficientStake")
                .withArgs(provider.address, free, step.amount);
              continue;
            }
            await staking.connect(provider).requestUnstake(step.amount);
            ref.active -= step.amount;
            ref.unbonding += step.amount;
          } else {
            await staking.connect(provider).stake(step.amount);
            ref.active += step.amount;
          }
          const onChain = await Promise.all([2n, 3n, 4n].map((id) => models.getModel(id)));
          const sum = onChain.reduce((total, m) => total + m.stake, 0n);
          expect(sum).to.equal(await staking.lockedOf(provider.address));
          expect(sum <= (await staking.stakeOf(provider.address))).to.equal(true);
          expect(onChain.map((m) => m.stake)).to.deep.equal(ref.stakes);
          expect(onChain.map((m) => m.active)).to.deep.equal(ref.live);
          for (const m of onChain) if (m.active) expect(m.stake >= MIN_STAKE).to.equal(true);
          expect(await staking.stakeOf(provider.address)).to.equal(ref.active);
          expect((await staking.unbondingOf(provider.address))[0]).to.equal(ref.unbonding);
          expect(await staking.totalSlashed()).to.equal(ref.slashed);
        }
        return txs;
      });
    });
  });
});
