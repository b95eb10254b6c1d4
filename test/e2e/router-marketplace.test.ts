import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { connectPaymentChannels } from "@tributary/contracts/typed";
import { bytesToWeights } from "@tributary/protocol";
import { parseEther, type Wallet } from "ethers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ModelWorld, startModelWorld } from "../../cli/test-support/model-world.js";
import {
  envWithKey,
  envWithoutKeys,
  runTributary,
  serveArgs,
  TributaryProcess,
} from "../../cli/test-support/tributary-process.js";

// The marketplace's other half, every person in their own processes with their own key: the researcher registers
// its job's model and serves it; a licensee buys a licence, downloads the weights and serves that very directory;
// both announce themselves to a task router; a buyer buys, downloads, opens a channel to each provider and pays per
// request through the router, across two sessions. When the providers stop, each redeems exactly what it answered.

const PRICE_PER_EXAMPLE = parseEther("0.001");

let model: ModelWorld;
let licensee: Wallet;
let buyer: Wallet;
const running: TributaryProcess[] = [];

beforeAll(async () => {
  model = await startModelWorld();
  licensee = await model.world.chain.fundedWallet({ tokens: parseEther("2000") });
  buyer = await model.world.chain.fundedWallet({ tokens: parseEther("100") });
}, 300_000);

afterAll(async () => {
  for (const process of running) await process.stop("SIGKILL");
  await model?.close();
});

const as = (role: "RESEARCHER" | "PROVIDER" | "BUYER", wallet: Wallet) =>
  envWithKey(`TRIBUTARY_${role}_KEY`, wallet.privateKey);

async function run(args: readonly string[], env: NodeJS.ProcessEnv): Promise<Record<string, unknown>> {
  const ran = await runTributary(args, env);
  expect(ran.stderr).toBe("");
  expect(ran.code).toBe(0);
  return ran.json;
}

function start(args: readonly string[], env: NodeJS.ProcessEnv): TributaryProcess {
  const process = TributaryProcess.spawn(args, env);
  running.push(process);
  return process;
}

describe("through the router, each person in their own processes", () => {
  it("a buyer buys, downloads and pays per request; the researcher and a licensee serve; each is paid what it answered", {
    timeout: 300_000,
  }, async () => {
    const chain = model.chainFlags();
    const withCoordinator = model.flags();
    const dir = (name: string) => path.join(model.world.dir, name);
    const researcher = model.researcher;

    // The researcher lists its job's model and serves the directory `job model --last` writes (ModelRegistry lists the
    // last round's model; without --last `job model` writes the one the job returns, the best on its validation set).
    await run(["stake", "deposit", "--amount", "1000", ...chain], as("PROVIDER", researcher));
    await run(
      [
        "model",
        "register",
        "--job",
        model.jobId,
        "--stake",
        "1000",
        "--price-per-token",
        "0.001",
        "--licence-price",
        "20",
        ...withCoordinator,
      ],
      as("PROVIDER", researcher),
    );
    await run(
      ["job", "model", model.jobId, "--last", "--out", dir("researcher-model"), ...withCoordinator],
      as("RESEARCHER", researcher),
    );

    const router = start(["router", "serve", "--port", "0", "--health-interval-ms", "500", ...chain], envWithoutKeys());
    const [, routerUrl] = (await router.waitFor(/^routing for chain \d+ .* at (\S+): /)) as [string, string];
    const serve = (wallet: Wallet, modelDir: string, stateDir: string) =>
      start(
        serveArgs({ modelId: 1n, modelDir, stateDir, router: routerUrl, chainFlags: chain }),
        as("PROVIDER", wallet),
      );
    const researcherServing = serve(researcher, dir("researcher-model"), dir("researcher-state"));

    // A licensee buys a licence, downloads the weights, stakes, and serves the downloaded directory as it is.
    await run(["model", "buy", "1", "--max-price", "20", ...chain], as("BUYER", licensee));
    await run(["model", "download", "1", "--out", dir("licensee-model"), ...withCoordinator], as("BUYER", licensee));
    await run(["stake", "deposit", "--amount", "1000", ...chain], as("PROVIDER", licensee));
    const licenseeServing = serve(licensee, dir("licensee-model"), dir("licensee-state"));
    await Promise.all([researcherServing.waitFor(/^announced to /), licenseeServing.waitFor(/^announced to /)]);

    // The buyer buys and downloads the model too, and opens a channel to each provider.
    await run(["model", "buy", "1", "--max-price", "20", ...chain], as("BUYER", buyer));
    await run(["model", "download", "1", "--out", dir("buyer-model"), ...withCoordinator], as("BUYER", buyer));
    const channelIds: string[] = [];
    for (const provider of [researcher, licensee]) {
      const opened = await run(
        ["channel", "open", "--provider", provider.address, "--deposit", "1", ...chain],
        as("BUYER", buyer),
      );
      channelIds.push(String(opened.channelId));
    }

    // Three sessions of paid predictions, each carrying on from what the last kept in the state directory: the
    // router picks among both channels, then the buyer offers only the licensee's, then only the researcher's.
    const examples = [
      [0.5, -2, 3, 0.25],
      [1, 0, -1, 2],
    ];
    const inputFile = dir("inputs.json");
    await writeFile(inputFile, JSON.stringify(examples));
    const predict = (...extra: string[]) =>
      run(
        [
          "model",
          "predict",
          "1",
          "--router",
          routerUrl,
          "--input",
          inputFile,
          "--state-dir",
          dir("buyer-state"),
          ...extra,
          ...chain,
        ],
        as("BUYER", buyer),
      );
    const sessions = [
      await predict("--repeat", "4", "--prefer", "latency"),
      await predict("--repeat", "3", "--channel", channelIds[1] as string),
      await predict("--repeat", "2", "--channel", channelIds[0] as string),
    ];
    type Answer = { provider: string; price: string; outputs: number[][]; attempts: unknown[] };
    const predictions = sessions.flatMap((session) => session.predictions as Answer[]);
    expect(predictions).toHaveLength(9);
    const by = (wallet: Wallet) => predictions.filter((p) => p.provider === wallet.address.toLowerCase()).length;
    expect(by(researcher) + by(licensee)).toBe(9);
    expect(by(licensee)).toBeGreaterThanOrEqual(3);
    expect(by(researcher)).toBeGreaterThanOrEqual(2);

    // Every answer is the downloaded model's: dense 4 → 2, linear, computed here in float64.
    const weights = bytesToWeights(await readFile(path.join(dir("buyer-model"), "weights.f32")));
    for (const prediction of predictions) {
      expect(prediction.price).toBe(String(2n * PRICE_PER_EXAMPLE));
      for (const [index, x] of examples.entries()) {
        for (let out = 0; out < 2; out++) {
          const expected = x.reduce(
            (sum, v, i) => sum + v * (weights[i * 2 + out] as number),
            weights[8 + out] as number,
          );
          expect(prediction.outputs[index]?.[out]).toBeCloseTo(expected, 5);
        }
      }
    }

    // The providers stop; each redeems its vouchers on exit.
    expect(await researcherServing.stop()).toBe(0);
    expect(await licenseeServing.stop()).toBe(0);
    expect(await router.stop()).toBe(0);
    const { contracts } = model.world.chain.system.deployment;
    const rpc = model.world.chain.provider();
    const channels = connectPaymentChannels(contracts.PaymentChannels, rpc);
    type Kept = { channelId: string; served: string; unanswered: string };
    const kept = sessions.flatMap((session) => session.channels as Kept[]);
    for (const [index, provider] of [researcher, licensee].entries()) {
      const channelId = channelIds[index] as string;
      const paid = (await channels.getChannel(BigInt(channelId))).paid;
      expect(paid).toBe(BigInt(by(provider)) * 2n * PRICE_PER_EXAMPLE);
      // The buyer's own account of the channel, as its last session on it left it, says the same.
      expect(kept.filter((c) => c.channelId === channelId).at(-1)).toMatchObject({
        served: String(paid),
        unanswered: "0",
      });
    }
    rpc.destroy();
  });
});
