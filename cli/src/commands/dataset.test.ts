import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import path from "node:path";
import type { JobId } from "@tributary/protocol";
import { DatasetPrivacyGuard } from "@tributary/trainer-agent";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { type OwnerChain, startOwnerChain } from "../../test-support/owner-chain.js";
import { jsonLine } from "../../test-support/run-tributary.js";

const E18 = 10n ** 18n;

let env: OwnerChain;
beforeAll(async () => {
  env = await startOwnerChain({ train: 80, test: 20 });
});
afterAll(() => env?.stop());
afterEach(() => {
  vi.unstubAllEnvs();
});

const owner = (ether?: bigint) => env.newOwner(ether);
const dataset = (...args: string[]) => env.dataset(...args);
const enrolArgs = ["--price-per-round", "2.5", "--epsilon", "4", "--delta", "1e-5"];

interface Enrolled {
  datasetId: string;
  commitment: string;
  metadataURI: string;
  manifestFile: string;
  trainerCommand: string[];
  transactions: { call: string; hash: string }[];
}

describe("tributary dataset enrol", () => {
  it("registers the manifest's commitment from the owner's key and prints the trainer command", async () => {
    const wallet = await owner();
    const result = await dataset("enrol", env.dataDir, ...enrolArgs, "--json");
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    const line = jsonLine(result.stdout) as unknown as Enrolled;
    // The commitment is the SHA-256 of the manifest file written beside the data, and it is what the chain stores.
    const manifest = await readFile(path.join(env.dataDir, "tributary-manifest.json"));
    expect(line.commitment).toBe(`0x${createHash("sha256").update(manifest).digest("hex")}`);
    const stored = await env.registry().getDataset(BigInt(line.datasetId));
    expect(stored.owner).toBe(wallet.address);
    expect(stored.commitment).toBe(line.commitment);
    expect(stored.pricePerRound).toBe(25n * 10n ** 17n);
    expect(stored.epsilon).toBe(4n * E18);
    expect(stored.delta).toBe(10n ** 13n);
    expect(stored.metadataURI).toBe(line.metadataURI);
    expect((await env.provider.getTransactionReceipt(line.transactions[0]?.hash as string))?.status).toBe(1);
    expect(line.trainerCommand).toEqual([
      "tributary",
      "trainer",
      "--coordinator",
      "URL",
      "--dataset-id",
      line.datasetId,
      "--format",
      "idx",
      "--data",
      path.join(env.dataDir, "train-images-idx3-ubyte"),
      "--labels",
      path.join(env.dataDir, "train-labels-idx1-ubyte"),
      "--eval-data",
      path.join(env.dataDir, "t10k-images-idx3-ubyte"),
      "--eval-labels",
      path.join(env.dataDir, "t10k-labels-idx1-ubyte"),
      "--num-classes",
      "10",
      "--rpc",
      env.chain.url,
      "--deployment",
      env.deploymentFile,
    ]);

    const human = await dataset("enrol", env.dataDir, ...enrolArgs);
    expect(human.code).toBe(0);
    expect(human.stdout).toContain(`enrolling from ${wallet.address} on chain 31337: price 2.5 TRIB per round`);
    expect(human.stdout).toMatch(/^enrol a dataset with commitment 0x[0-9a-f]{64}: transaction 0x[0-9a-f]{64}$/m);
    expect(human.stdout).toMatch(/^enrolled dataset \d+ \(owner 0x[0-9a-f]{40}\)$/m);
    expect(human.stdout).toMatch(/^ {2}tributary trainer --coordinator URL --dataset-id \d+ --format idx /m);
  });

  it("refuses without a key, with a keystore it cannot open, and for an account without ether", async () => {
    const none = await dataset("enrol", env.dataDir, ...enrolArgs);
    expect(none.code).toBe(2);
    expect(none.stderr).toBe(
      "tributary: give --keystore FILE or set TRIBUTARY_TRAINER_KEY to the trainer's (the dataset owner's) private key\n",
    );
    vi.stubEnv("TRIBUTARY_KEYSTORE_PASSWORD", "secret");
    const missing = path.join(env.dir, "missing.json");
    const keystore = await dataset("enrol", env.dataDir, ...enrolArgs, "--keystore", missing);
    expect(keystore.code).toBe(2);
    expect(keystore.stderr).toBe(`tributary: --keystore ${missing}: no such file\n`);
    const poor = await owner(0n);
    const before = await env.provider.getTransactionCount(poor.address);
    const broke = await dataset("enrol", env.dataDir, ...enrolArgs);
    expect(broke.code).toBe(1);
    expect(broke.stderr).toMatch(
      /^tributary: DatasetRegistry\.registerDataset: the sender has too little ether to pay for the gas; nothing was sent/,
    );
    expect(await env.provider.getTransactionCount(poor.address)).toBe(before);
  });

  it("refuses a budget the registry would refuse, and a directory that is not a dataset, before sending", async () => {
    const wallet = await owner();
    const before = await env.provider.getTransactionCount(wallet.address);
    const zero = await dataset("enrol", env.dataDir, "--price-per-round", "1", "--epsilon", "0", "--delta", "1e-5");
    expect(zero.code).toBe(2);
    expect(zero.stderr).toMatch(/^tributary: invalid dataset enrol options: dataset enrol options\.epsilon: /);
    const delta = await dataset("enrol", env.dataDir, "--price-per-round", "1", "--epsilon", "1", "--delta", "1");
    expect(delta.stderr).toMatch(/dataset enrol options\.delta: /);
    const nothing = await dataset("enrol", path.join(env.dir, "nowhere"), ...enrolArgs);
    expect(nothing.code).toBe(2);
    expect(nothing.stderr).toBe(`tributary: ${path.join(env.dir, "nowhere")}: not a directory\n`);
    expect(await env.provider.getTransactionCount(wallet.address)).toBe(before);
  });
});

describe("tributary dataset show, list and budget", () => {
  it("shows a dataset, lists the owner's, and refuses an unknown id", async () => {
    const wallet = await owner();
    const first = jsonLine((await dataset("enrol", env.dataDir, ...enrolArgs, "--json")).stdout) as unknown as Enrolled;
    const second = jsonLine(
      (await dataset("enrol", env.dataDir, ...enrolArgs, "--json")).stdout,
    ) as unknown as Enrolled;
    const shown = await dataset("show", first.datasetId, "--json");
    expect(shown.code).toBe(0);
    expect(jsonLine(shown.stdout)).toMatchObject({
      ok: true,
      dataset: {
        id: first.datasetId,
        owner: wallet.address.toLowerCase(),
        active: true,
        commitment: first.commitment,
        pricePerRound: String(25n * 10n ** 17n),
        epsilon: 4,
        delta: 1e-5,
      },
    });
    const human = await dataset("show", first.datasetId);
    expect(human.stdout).toMatch(/^ {2}price per round +2\.5 TRIB$/m);
    expect(human.stdout).toMatch(/^ {2}privacy budget +ε 4, δ 0\.00001$/m);

    const mine = jsonLine((await dataset("list", "--json")).stdout) as { datasets: { id: string }[] };
    expect(mine.datasets.map((d) => d.id)).toEqual([second.datasetId, first.datasetId]);
    vi.unstubAllEnvs();
    const theirs = jsonLine((await dataset("list", "--owner", wallet.address, "--json")).stdout) as typeof mine;
    expect(theirs.datasets.map((d) => d.id)).toEqual([second.datasetId, first.datasetId]);
    const all = jsonLine((await dataset("list", "--all", "--limit", "1", "--json")).stdout) as typeof mine;
    expect(all.datasets.map((d) => d.id)).toEqual([String(await env.registry().datasetCount())]);
    const whose = await dataset("list");
    expect(whose.code).toBe(2);
    expect(whose.stderr).toMatch(/^tributary: whose datasets\? give --owner ADDRESS, --all/);

    const unknown = await dataset("show", "999999", "--json");
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/^tributary: DatasetRegistry at 0x[0-9a-f]{40} knows no dataset 999999\n$/);
    expect(jsonLine(unknown.stdout)).toMatchObject({ ok: false, error: { code: "DATASET_UNKNOWN" } });
  });

  it("budget compares the trainer's ledger with the enrolled budget, exit 1 when the trainer enforces more", async () => {
    await owner();
    const enrolled = jsonLine(
      (await dataset("enrol", env.dataDir, ...enrolArgs, "--json")).stdout,
    ) as unknown as Enrolled;
    const stateDir = path.join(env.dir, "state");
    const empty = await dataset("budget", enrolled.datasetId, "--state-dir", stateDir, "--json");
    expect(empty.code).toBe(0);
    expect(jsonLine(empty.stdout)).toMatchObject({ enforced: null, spent: 0, remaining: 4, byJob: [] });
    // The trainer's own guard charges a round of job 5, as `tributary trainer` would off-chain (its default ε 10).
    const guard = await DatasetPrivacyGuard.open(stateDir, enrolled.datasetId, { epsilon: 10, delta: 1e-5 });
    await guard.prepareRound({
      jobId: "5" as JobId,
      round: 0,
      rounds: 1,
      datasetSize: 80,
      hyperParams: {
        localEpochs: 1,
        batchSize: 8,
        learningRate: 0.1,
        proximalMu: 0,
        dp: { mode: "dp-sgd", l2NormClip: 1, noiseMultiplier: 2, targetEpsilon: 5, delta: 1e-5 },
      },
    });
    const spent = guard.spent().epsilon;
    const human = await dataset("budget", enrolled.datasetId, "--state-dir", stateDir);
    expect(human.code).toBe(1);
    expect(human.stdout).toMatch(new RegExp(`^ {2}5 +1 +${spent.toFixed(4).replace(".", "\\.")}$`, "m"));
    expect(human.stderr).toBe(
      "tributary: the agent enforces ε 10, δ 0.00001, more than the enrolled ε 4, δ 0.00001: restart it with --rpc, which makes it enforce the enrolled budget\n",
    );
    const unknown = await dataset("budget", "999999", "--state-dir", stateDir);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain("knows no dataset 999999");
  });
});
