import { type RouteChoice, type RoutedChannel, RoutedInferenceClient, type RoutedPrediction } from "@tributary/buyer";
import { connectModelRegistry, connectStaking, connectTributaryToken } from "@tributary/contracts/typed";
import { VoucherStore } from "@tributary/inference-provider";
import {
  type Address,
  announcementToWire,
  type ProviderAnnouncement,
  RoutedModelSchema,
  signAnnouncement,
} from "@tributary/protocol";
import { hexlify, randomBytes, Wallet } from "ethers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { documentedScores, documentedWeights } from "../../inference-router/test-support/documented-score.js";
import { RoutedWorld, type ServingProvider } from "./helpers/routed-world.js";

// The task router in front of real provider processes (`tributary provider serve --router`, each its own process with
// its own key), announced, scored, health-polled, retried and killed under load. The buyer pays each provider on
// its own channels; at the end every channel's on-chain payment is checked against what the buyer was answered.

const EXAMPLE = [
  [0.5, -1, 2],
  [1, 0, -0.5],
];
const E18 = 10n ** 18n;

let world: RoutedWorld;
/** A: slow (its batch waits 150 ms), cheapest. B: fast, dearest. C: 40 ms, mid price, reputation 3. */
let serving: ServingProvider[];
/** Every channel opened, and every answer the buyer had, for the final reckoning. */
const channels: RoutedChannel[] = [];
const answers: RoutedPrediction[] = [];

beforeAll(async () => {
  world = await RoutedWorld.start();
  serving = await Promise.all([
    world.startProvider(0, { maxWaitMs: 150 }),
    world.startProvider(1, { maxWaitMs: 1 }),
    world.startProvider(2, { maxWaitMs: 40 }),
  ]);
}, 300_000);

afterAll(async () => {
  await world?.stop();
});

const address = (index: number) => (world.providers[index] as Wallet).address.toLowerCase() as Address;
const nameOf = (provider: string) => "ABC"[world.providers.findIndex((w) => w.address.toLowerCase() === provider)];

async function open(index: number, count: number): Promise<RoutedChannel[]> {
  const opened = await world.openChannels(world.providers[index] as Wallet, count);
  channels.push(...opened);
  return opened;
}

async function client(offered: readonly RoutedChannel[], choice: RouteChoice = {}) {
  return RoutedInferenceClient.connect(world.router.url, world.models[0]?.modelId as bigint, {
    channels: offered,
    choice,
    expect: { modelHash: world.models[0]?.modelHash as string },
  });
}

async function predict(routed: RoutedInferenceClient): Promise<RoutedPrediction> {
  const prediction = await routed.predict([EXAMPLE]);
  answers.push(prediction);
  return prediction;
}

async function listing(prefer?: "price" | "latency" | "reputation") {
  const query = prefer === undefined ? "" : `?prefer=${prefer}`;
  const response = await fetch(`${world.router.url}/v1/models/${world.models[0]?.modelId}/providers${query}`);
  return RoutedModelSchema.parse(await response.json());
}

/** Posts an announcement signed by `signer` (default: the provider it names) under `chainId` (default: the chain's). */
async function announce(
  fields: Partial<ProviderAnnouncement> & { provider: Address },
  options: { signer?: Wallet; chainId?: bigint } = {},
): Promise<{ status: number; code: string | undefined }> {
  const now = BigInt(Math.floor(Date.now() / 1000));
  const { contracts } = world.deployed.chain.system.deployment;
  const signer = options.signer ?? (world.providers.find((w) => w.address.toLowerCase() === fields.provider) as Wallet);
  const signed = await signAnnouncement(
    signer,
    {
      chainId: options.chainId ?? BigInt(world.deployed.chain.chainId),
      modelRegistry: contracts.ModelRegistry.toLowerCase() as Address,
    },
    {
      modelId: world.models[0]?.modelId as bigint,
      endpoint: serving[0]?.url as string,
      pricePerExample: RoutedWorld.PRICES[0],
      issuedAt: now,
      expiresAt: now + 600n,
      ...fields,
    },
  );
  const response = await fetch(`${world.router.url}/v1/announcements`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(announcementToWire(signed)),
  });
  const body = (await response.json()) as { error?: { code: string } };
  return { status: response.status, code: body.error?.code };
}

describe("announcements", () => {
  it("admits a staked provider of the weights, and refuses forged, expired, unknown, unstaked and mismatched ones", async () => {
    const a = address(0);
    const stranger = new Wallet(hexlify(randomBytes(32)));
    const strangerAddress = stranger.address.toLowerCase() as Address;
    const now = BigInt(Math.floor(Date.now() / 1000));
    // A licensee of A's listing without stake.
    const licensee = await world.deployed.chain.fundedWallet({ tokens: 10_000n * E18 });
    const { contracts } = world.deployed.chain.system.deployment;
    const registry = connectModelRegistry(contracts.ModelRegistry, licensee.connect(world.rpc));
    await (await registry.purchaseLicense(world.models[0]?.modelId as bigint, 0n)).wait();
    // A listing its provider deactivated.
    const inactive = connectModelRegistry(contracts.ModelRegistry, (world.providers[0] as Wallet).connect(world.rpc));
    const { minModelStake } = await inactive.parameters();
    const asA = (world.providers[0] as Wallet).connect(world.rpc);
    await (await connectTributaryToken(contracts.TributaryToken, asA).approve(contracts.Staking, minModelStake)).wait();
    await (await connectStaking(contracts.Staking, asA).stake(minModelStake)).wait();
    await (
      await inactive.registerModel({
        modelHash: world.models[0]?.modelHash as string,
        modelURI: "ipfs://model",
        endpoint: serving[0]?.url as string,
        pricePerToken: RoutedWorld.PRICES[0],
        licensePrice: 0n,
        paymentToken: contracts.TributaryToken,
        jobId: 0n,
        stake: minModelStake,
      })
    ).wait();
    const inactiveId = await inactive.modelCount();
    await (await inactive.deactivateModel(inactiveId)).wait();

    expect(await announce({ provider: a })).toEqual({ status: 200, code: undefined });
    const refusals = [
      [await announce({ provider: a }, { signer: stranger }), 401, "ANNOUNCEMENT_BAD_SIGNATURE"],
      [await announce({ provider: a }, { chainId: 1n }), 401, "ANNOUNCEMENT_BAD_SIGNATURE"],
      [await announce({ provider: a, issuedAt: now - 700n, expiresAt: now - 100n }), 400, "ANNOUNCEMENT_EXPIRED"],
      [await announce({ provider: a, expiresAt: now + 7_200n }), 400, "ANNOUNCEMENT_TOO_LONG"],
      [await announce({ provider: a, modelId: 999n }), 404, "MODEL_UNKNOWN"],
      [await announce({ provider: a, modelId: inactiveId }), 403, "MODEL_INACTIVE"],
      [await announce({ provider: strangerAddress }, { signer: stranger }), 403, "NOT_MODEL_PROVIDER"],
      [
        await announce({ provider: licensee.address.toLowerCase() as Address }, { signer: licensee }),
        403,
        "PROVIDER_UNSTAKED",
      ],
      // A's key with B's endpoint (which answers as B), and A's endpoint at a price it does not ask.
      [await announce({ provider: a, endpoint: serving[1]?.url as string }), 400, "ENDPOINT_MISMATCH"],
      [await announce({ provider: a, pricePerExample: 999n }), 400, "ENDPOINT_MISMATCH"],
    ] as const;
    for (const [answer, status, code] of refusals) expect(answer).toEqual({ status, code });
    // Nothing refused entered the table: the same three providers, all healthy.
    const listed = await listing();
    expect(listed.providers.map((p) => p.provider).sort()).toEqual([address(0), address(1), address(2)].sort());
    expect(listed.providers.every((p) => p.healthy)).toBe(true);
  });
});

describe("choosing a provider", () => {
  it("picks, for each preference, the provider the documented score ranks first", async () => {
    const offered = [...(await open(0, 1)), ...(await open(1, 1)), ...(await open(2, 1))];
    // Six requests to each provider alone, so the router has measured every one's latency.
    for (const channel of offered) {
      const alone = await client([channel]);
      for (let n = 0; n < 6; n++) expect((await predict(alone)).provider).toBe(channel.provider.toLowerCase());
    }
    const winners: Record<string, string> = {};
    for (const prefer of ["price", "latency", "reputation", undefined] as const) {
      const listed = await listing(prefer);
      const expected = documentedScores(
        listed.providers.map((p) => ({
          price: Number(p.info.pricePerExample),
          latencyMs: p.latencyMs,
          inFlight: p.inFlight,
          reputation: Number(p.reputation),
          slashes: p.slashes,
        })),
        documentedWeights(prefer),
      );
      for (const [index, p] of listed.providers.entries()) expect(p.score).toBeCloseTo(expected[index] as number, 9);
      const best = listed.providers[expected.indexOf(Math.max(...expected))]?.provider as string;
      const chosen = await predict(await client(offered, prefer === undefined ? {} : { prefer }));
      expect(chosen.provider).toBe(best);
      expect(chosen.attempts).toEqual([]);
      winners[prefer ?? "balanced"] = nameOf(chosen.provider) as string;
    }
    // The cheapest for price, the fastest for latency, the reputed one for reputation.
    expect(winners).toMatchObject({ price: "A", latency: "B", reputation: "C" });
    const reputations = (await listing()).providers.map((p) => [nameOf(p.provider), p.reputation]);
    expect(Object.fromEntries(reputations)).toEqual({ A: "0", B: "0", C: String(RoutedWorld.REPUTATION) });
  });
});

describe("health and standing", () => {
  it("never routes to a provider whose /ready fails, nor to one whose stake is gone", async () => {
    const offered = [...(await open(0, 1)), ...(await open(1, 1)), ...(await open(2, 1))];
    const byReputation = await client(offered, { prefer: "reputation" });
    expect((await predict(byReputation)).provider).toBe(address(2));
    // C stops answering (frozen): its next poll fails, and the router sends C's best requests elsewhere.
    serving[2]?.process.signal("SIGSTOP");
    try {
      await world.router.monitor.pollHealth();
      expect((await listing()).providers.find((p) => p.provider === address(2))?.healthy).toBe(false);
      for (let n = 0; n < 3; n++) {
        const prediction = await predict(byReputation);
        expect(prediction.provider).not.toBe(address(2));
        expect(prediction.attempts).toEqual([]);
      }
    } finally {
      serving[2]?.process.signal("SIGCONT");
    }
    await world.router.monitor.pollHealth();
    expect((await predict(byReputation)).provider).toBe(address(2));

    // A licensee of A's listing, staked, serving as its own process: routed to, until it unstakes.
    const licensee = await world.deployed.chain.fundedWallet({ tokens: 10_000n * E18 });
    const { contracts } = world.deployed.chain.system.deployment;
    const asLicensee = licensee.connect(world.rpc);
    const registry = connectModelRegistry(contracts.ModelRegistry, asLicensee);
    await (await registry.purchaseLicense(world.models[0]?.modelId as bigint, 0n)).wait();
    const { minModelStake } = await registry.parameters();
    await (
      await connectTributaryToken(contracts.TributaryToken, asLicensee).approve(contracts.Staking, minModelStake)
    ).wait();
    const staking = connectStaking(contracts.Staking, asLicensee);
    await (await staking.stake(minModelStake)).wait();
    const licensed = await world.startProvider(0, { wallet: licensee });
    const own = await world.openChannels(licensee, 1);
    channels.push(...own);
    const alone = await client(own);
    const served = await predict(alone);
    expect(served.provider).toBe(licensee.address.toLowerCase());
    // Its listing's reputation is A's, not the licensee's: a licensee has none of its own.
    expect((await listing()).providers.find((p) => p.provider === served.provider)?.reputation).toBe("0");
    await (await staking.requestUnstake(minModelStake)).wait();
    await world.router.monitor.checkStanding();
    const refused = await alone.predict([EXAMPLE]).catch((error: unknown) => error);
    expect(refused).toMatchObject({ status: 503, code: "NO_PROVIDER" });
    expect((await listing()).providers.find((p) => p.provider === served.provider)?.healthy).toBe(false);
    expect(await licensed.process.stop()).toBe(0);
  });
});

describe("retries", () => {
  it("retries another provider when the chosen one does not answer in time, and charges the buyer once", async () => {
    const offered = [...(await open(0, 1)), ...(await open(1, 1)), ...(await open(2, 1))];
    const byLatency = await client(offered, { prefer: "latency" });
    expect((await predict(byLatency)).provider).toBe(address(1));
    // B freezes with its connection open: the router waits its attempt timeout, then asks the next provider.
    serving[1]?.process.signal("SIGSTOP");
    let retried: RoutedPrediction;
    try {
      retried = await predict(byLatency);
    } finally {
      serving[1]?.process.signal("SIGCONT");
    }
    expect(retried.attempts).toEqual([{ provider: address(1), outcome: "timeout" }]);
    expect(retried.provider).not.toBe(address(1));
    const bChannel = offered[1]?.payer;
    expect(bChannel?.spending()).toMatchObject({ served: RoutedWorld.PRICES[1], uncertain: RoutedWorld.PRICES[1] });
    await world.router.monitor.pollHealth();
    // B answers again; whatever it made of the request it answered too late, the buyer pays it at most once.
    for (let n = 0; n < 3; n++) await predict(byLatency);
    expect(answers.slice(-3).some((p) => p.provider === address(1))).toBe(true);
  });
});

describe("a provider killed under load", () => {
  it("loses no request: every one is answered, those at the dead provider by another", async () => {
    const offered = [...(await open(0, 6)), ...(await open(1, 6)), ...(await open(2, 6))];
    const bChannels = offered.filter((c) => c.provider.toLowerCase() === address(1));
    const routed = await client(offered, { prefer: "latency" });
    const total = 60;
    const done: RoutedPrediction[] = [];
    const sentAfterKill: RoutedPrediction[] = [];
    let started = 0;
    let killed = false;
    const worker = async () => {
      while (started < total) {
        started++;
        const afterKill = killed;
        const prediction = await predict(routed);
        done.push(prediction);
        if (afterKill) sentAfterKill.push(prediction);
        if (!killed && done.length >= 20) {
          killed = true;
          serving[1]?.process.signal("SIGKILL");
        }
      }
    };
    // Five requests in flight at a time (each holds one channel of each provider it is offered).
    await Promise.all([worker(), worker(), worker(), worker(), worker()]);
    expect(done).toHaveLength(total);
    expect(await serving[1]?.process.exited).toBe(null);
    expect(done.slice(0, 20).filter((p) => p.provider === address(1)).length).toBeGreaterThan(10);
    // Killed while preferred: at least one request went to it and was answered by another.
    const failedAtB = done.filter((p) =>
      p.attempts.some((a) => a.provider === address(1) && (a.outcome === "lost" || a.outcome === "unreachable")),
    );
    expect(failedAtB.length).toBeGreaterThan(0);
    expect(failedAtB.every((p) => p.provider !== address(1))).toBe(true);
    expect(sentAfterKill.length).toBeGreaterThan(30);
    expect(sentAfterKill.every((p) => p.provider !== address(1))).toBe(true);
    // Same weights everywhere: every provider answered the same outputs.
    expect(new Set(done.map((p) => JSON.stringify(p.outputs))).size).toBe(1);

    // What the dead provider kept on disk never charges the buyer for more than it was answered.
    const { contracts } = world.deployed.chain.system.deployment;
    const store = await VoucherStore.open(serving[1]?.stateDir as string, {
      chainId: BigInt(world.deployed.chain.chainId),
      contract: contracts.PaymentChannels.toLowerCase(),
      provider: address(1),
    });
    for (const channel of bChannels) {
      const kept = store.accounts.get(channel.payer.channelId.toString());
      const { served } = channel.payer.spending();
      expect(kept?.redeemable ?? 0n).toBeLessThanOrEqual(served);
      expect(kept?.served ?? 0n).toBeLessThanOrEqual(served);
    }

    // B comes back on its state; the buyer's next request on each of its channels settles what a crash lost.
    serving[1] = await world.startProvider(1, { stateDir: serving[1]?.stateDir as string, maxWaitMs: 1 });
    for (const channel of bChannels) expect((await predict(await client([channel]))).provider).toBe(address(1));
  });
});

describe("what the buyer paid", () => {
  it("each channel's redemption on chain is exactly what its provider answered the buyer", async () => {
    // Every provider stops: it answers what is in flight and redeems its vouchers on exit.
    for (const provider of serving) expect(await provider.process.stop()).toBe(0);
    let unanswered = 0n;
    for (const channel of channels) {
      const spending = channel.payer.spending();
      expect(await world.paid(channel.payer.channelId)).toBe(spending.served);
      unanswered += spending.unanswered;
    }
    // Per provider: what it was paid is its answers to the buyer times its price, plus anything the buyer took as
    // served without an answer, which only B's late answer in the timeout test can be.
    expect(unanswered).toBeLessThanOrEqual(RoutedWorld.PRICES[1]);
    for (const [index, wallet] of world.providers.entries()) {
      const provider = wallet.address.toLowerCase();
      let paid = 0n;
      for (const channel of channels.filter((c) => c.provider.toLowerCase() === provider)) {
        paid += await world.paid(channel.payer.channelId);
      }
      const answered = BigInt(answers.filter((p) => p.provider === provider).length);
      const price = RoutedWorld.PRICES[index] as bigint;
      expect(paid - answered * price).toBe(index === 1 ? unanswered : 0n);
    }
  });
});
