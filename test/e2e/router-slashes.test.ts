import { type RouteChoice, RoutedInferenceClient } from "@tributary/buyer";
import {
  connectModelRegistry,
  connectOptimisticVerifier,
  connectStaking,
  connectTributaryToken,
} from "@tributary/contracts/typed";
import { RoutedModelSchema } from "@tributary/protocol";
import { id, type Wallet } from "ethers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RoutedWorld } from "./helpers/routed-world.js";

// The router's choice after verified inference went against a provider, on the local chain with real provider
// processes: C (reputation 3) loses a dispute decided by the committee and is slashed; with its reputation gone
// (ModelRegistry stops at 0) and a lost dispute on record, a provider of no reputation that lost none (B) now wins the
// reputation term, where C would win a tie on price; C loses a second dispute, its listing's locked stake runs out,
// ModelRegistry deactivates it, and the router's standing check excludes it.

const E18 = 10n ** 18n;
const EXAMPLE = [
  [0.5, -1, 2],
  [1, 0, -0.5],
];
/** Only the reputation term counts: price and latency cannot decide. */
const REPUTATION_ONLY: RouteChoice = { weights: { price: 0, latency: 0, reputation: 1 } };

let world: RoutedWorld;
let members: Wallet[];
let challenger: Wallet;
let disputes = 0;

beforeAll(async () => {
  world = await RoutedWorld.start();
  await Promise.all([world.startProvider(1), world.startProvider(2)]);
  const { chain } = world.deployed;
  const { contracts } = chain.system.deployment;
  const verifier = connectOptimisticVerifier(contracts.OptimisticVerifier, world.rpc);
  const { minCommitteeStake, challengerBond } = await verifier.parameters();
  members = await chain.fundedWallets(2, { tokens: minCommitteeStake });
  for (const member of members) {
    const signer = member.connect(world.rpc);
    await (
      await connectTributaryToken(contracts.TributaryToken, signer).approve(contracts.Staking, minCommitteeStake)
    ).wait();
    await (await connectStaking(contracts.Staking, signer).stake(minCommitteeStake)).wait();
    await chain.setCommitteeMember(member.address);
  }
  challenger = await chain.fundedWallet({ tokens: 2n * challengerBond });
  // Governance (the local chain's admin) lowers the listing minimum to 100 TRIB, so that one slash of 500 TRIB leaves
  // C's listing (1,000 TRIB locked) active, and a second takes the rest.
  const registry = connectModelRegistry(contracts.ModelRegistry, chain.deployer);
  const parameters = await registry.parameters();
  await (
    await registry.setParameters({
      minModelStake: 100n * E18,
      protocolFeeBps: parameters.protocolFeeBps,
      providerShareBps: parameters.providerShareBps,
      researcherShareBps: parameters.researcherShareBps,
      contributorShareBps: parameters.contributorShareBps,
    })
  ).wait();
}, 300_000);

afterAll(async () => {
  await world?.stop();
});

const address = (index: number) => (world.providers[index] as Wallet).address.toLowerCase();

/**
 * A task on `provider`'s listing `modelId`, answered with a hash a challenger disputes, which both committee members
 * find wrong: the challenger wins, the provider is slashed and loses reputation.
 */
async function loseDispute(provider: Wallet, modelId: bigint): Promise<void> {
  const { contracts } = world.deployed.chain.system.deployment;
  const as = (wallet: Wallet) => connectOptimisticVerifier(contracts.OptimisticVerifier, wallet.connect(world.rpc));
  const token = (wallet: Wallet) => connectTributaryToken(contracts.TributaryToken, wallet.connect(world.rpc));
  const payment = 10n * E18;
  await (await token(world.buyer).approve(contracts.OptimisticVerifier, payment)).wait();
  await (
    await as(world.buyer).createTask(modelId, id(`input ${++disputes}`), contracts.TributaryToken, payment)
  ).wait();
  const taskId = await as(world.buyer).taskCount();
  await (await as(provider).submitResult(taskId, id("a wrong answer"))).wait();
  const { challengerBond } = await as(challenger).parameters();
  await (await token(challenger).approve(contracts.OptimisticVerifier, challengerBond)).wait();
  await (await as(challenger).dispute(taskId, id("the right answer"))).wait();
  for (const member of members) await (await as(member).vote(taskId, false)).wait();
  expect((await as(world.buyer).getTask(taskId)).outcome).toBe(3n); // ChallengerWon
}

async function listing() {
  const modelId = world.models[0]?.modelId as bigint;
  const response = await fetch(`${world.router.url}/v1/models/${modelId}/providers?weights=reputation:1`);
  return RoutedModelSchema.parse(await response.json());
}

describe("the router after lost disputes", () => {
  it("puts a slashed provider whose reputation fell below an unblemished one, and excludes it once deactivated", async () => {
    const offered = [...(await world.openChannels(world.providers[1] as Wallet, 1))];
    const cChannels = await world.openChannels(world.providers[2] as Wallet, 1);
    offered.push(...cChannels);
    const client = () =>
      RoutedInferenceClient.connect(world.router.url, world.models[0]?.modelId as bigint, {
        channels: offered,
        choice: REPUTATION_ONLY,
        expect: { modelHash: world.models[0]?.modelHash as string },
      });
    // Before: C's reputation (3) wins the reputation term.
    expect((await (await client()).predict([EXAMPLE])).provider).toBe(address(2));

    const cModel = world.models[2]?.modelId as bigint;
    await loseDispute(world.providers[2] as Wallet, cModel);
    const registry = connectModelRegistry(world.deployed.chain.system.deployment.contracts.ModelRegistry, world.rpc);
    const slashed = await registry.getModel(cModel);
    expect([slashed.active, slashed.reputationScore]).toEqual([true, 0n]); // 3 − 10, floored; 500 TRIB still locked
    await world.router.monitor.checkStanding();
    const standings = Object.fromEntries((await listing()).providers.map((p) => [p.provider, p]));
    expect(standings[address(2)]).toMatchObject({ reputation: "0", slashes: 1, healthy: true, score: 0.5 });
    expect(standings[address(1)]).toMatchObject({ reputation: "0", slashes: 0, healthy: true, score: 1 });
    // Both have no reputation now; without its lost dispute C would win the tie on price (2,000 < 3,000 per example).
    for (let n = 0; n < 3; n++) expect((await (await client()).predict([EXAMPLE])).provider).toBe(address(1));

    // A second lost dispute takes the rest of C's locked stake: its listing is deactivated, the router excludes it.
    await loseDispute(world.providers[2] as Wallet, cModel);
    expect((await registry.getModel(cModel)).active).toBe(false);
    await world.router.monitor.checkStanding();
    const excluded = (await listing()).providers.find((p) => p.provider === address(2));
    expect(excluded).toMatchObject({ healthy: false, score: null });
    const alone = await RoutedInferenceClient.connect(world.router.url, world.models[0]?.modelId as bigint, {
      channels: cChannels,
    });
    await expect(alone.predict([EXAMPLE])).rejects.toMatchObject({ status: 503, code: "NO_PROVIDER" });
    const byPrice = await RoutedInferenceClient.connect(world.router.url, world.models[0]?.modelId as bigint, {
      channels: offered,
      choice: { prefer: "price" },
    });
    expect((await byPrice.predict([EXAMPLE])).provider).toBe(address(1));
  });
});
