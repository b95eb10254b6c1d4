import { createHash } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import {
  connectDatasetRegistry,
  connectModelRegistry,
  connectStaking,
  connectTrainingJobs,
  connectTributaryToken,
} from "@tributary/contracts/typed";
import { commitmentCid, JobLedgerSchema } from "@tributary/protocol";
import { formatEther, parseEther, Wallet } from "ethers";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { jsonLine, tributary } from "../../cli/test-support/run-tributary.js";
import { writeMnistIdx } from "../../trainer-agent/test-support/mnist-package.js";
import { connectDevAccount, screenshot } from "./helpers/portal-browser.js";
import { type PortalJobWorld, RESEARCHER_KEY, startPortalJobWorld } from "./helpers/portal-job-world.js";

const LICENCE_PRICE = parseEther("40");

let world: PortalJobWorld;

beforeAll(async () => {
  world = await startPortalJobWorld("portal-owner");
}, 240_000);

afterAll(async () => {
  await world?.close();
});

/** The files of one dataset folder as the owner keeps them: real MNIST digits (gzipped IDX) and a held-out split. */
async function datasetFolder(name: string): Promise<string[]> {
  const dir = path.join(world.workDir, name);
  const files = await writeMnistIdx(dir, { train: 120, test: 30 }, true);
  await writeFile(path.join(dir, "NOTES.txt"), "collected in 2026\n");
  return [files.train.images, files.train.labels, files.test.images, files.test.labels, path.join(dir, "NOTES.txt")];
}

describe("the data owner's page in Chromium", () => {
  it("enrols a dataset from picked files: the browser's commitment is the CLI's, refusals are shown, it is listed", async () => {
    const { chain, coordinator, browser } = world;
    const owner = world.owners[0] as Wallet;
    const registry = connectDatasetRegistry(chain.system.deployment.contracts.DatasetRegistry, chain.provider());
    const page = await browser.newPage({ viewport: { width: 1280, height: 1400 }, acceptDownloads: true });
    await page.goto(`${coordinator.url}/portal/#/owner`);
    await connectDevAccount(page, "owner 1", false);
    await page.getByRole("heading", { name: "Enrol a dataset" }).waitFor();

    // A file whose records do not parse: refused in the page, naming the file and the line.
    const badDir = path.join(world.workDir, "bad");
    await mkdir(badDir, { recursive: true });
    await writeFile(path.join(badDir, "owner.csv"), "a,b,label\n1,2,0\n3,four,1\n");
    await page.getByLabel("Dataset files").setInputFiles([path.join(badDir, "owner.csv")]);
    await page
      .getByText('These files cannot be enrolled: owner.csv (line 3): column "b" is not a number: "four"')
      .waitFor();
    await screenshot(page, "owner-enrol-refused-records");

    // The dataset's folder: the training pair is chosen, the held-out split and the notes are left out.
    const files = await datasetFolder("digits");
    await page.getByLabel("Dataset files").setInputFiles(files);
    const shown = page.getByTestId("enrol-commitment");
    await shown.waitFor({ timeout: 30_000 });
    const browserCommitment = (await shown.textContent()) ?? "";
    await expect(page.getByTestId("enrol-manifest").textContent()).resolves.toMatch(
      /^120 idx records of shape \[28, 28\], 10 classes, from train-images-idx3-ubyte\.gz and train-labels-idx1-ubyte\.gz \(not part of it: t10k-images-idx3-ubyte\.gz, t10k-labels-idx1-ubyte\.gz, NOTES\.txt\)/,
    );

    // The same folder picked as a folder (its files under "digits/", a subfolder's files left out): the same commitment.
    await mkdir(path.join(world.workDir, "digits", "old"), { recursive: true });
    await writeFile(path.join(world.workDir, "digits", "old", "train.csv"), "a,label\n1,0\n");
    await page.getByLabel("Or a dataset folder").setInputFiles(path.join(world.workDir, "digits"));
    await page.getByTestId("enrol-manifest").filter({ hasText: "digits/old/train.csv" }).waitFor({ timeout: 30_000 });
    expect(await shown.textContent()).toBe(browserCommitment);

    // The manifest offered for saving hashes to the commitment, and lists each file with its own SHA-256.
    const [download] = await Promise.all([
      page.waitForEvent("download"),
      page.getByRole("link", { name: "Save tributary-manifest.json" }).click(),
    ]);
    const saved = await readFile((await download.path()) as string);
    expect(`0x${createHash("sha256").update(saved).digest("hex")}`).toBe(browserCommitment);
    const manifest = JSON.parse(saved.toString()) as { shards: { name: string; sha256: string }[] };
    for (const shard of manifest.shards) {
      const bytes = await readFile(path.join(path.dirname(files[0] as string), shard.name));
      expect(shard.sha256).toBe(createHash("sha256").update(bytes).digest("hex"));
    }

    // A zero budget: the form refuses ε = 0; ε = 1e-19 is positive but rounds to 0 on chain, and the registry's own
    // refusal is shown decoded, with nothing sent.
    const count = await registry.datasetCount();
    await page.getByLabel("Privacy budget ε").fill("0");
    await page.getByText(/enrolment terms\.epsilon: Too small/).waitFor();
    await expect(page.getByRole("button", { name: "Enrol on DatasetRegistry" }).isDisabled()).resolves.toBe(true);
    await page.getByLabel("Privacy budget ε").fill("1e-19");
    await page.getByRole("button", { name: "Enrol on DatasetRegistry" }).click();
    await page
      .getByText(
        "DatasetRegistry refused it: DatasetRegistryInvalidPrivacyBudget(epsilon=0, delta=10000000000000). Nothing was sent.",
      )
      .waitFor({ timeout: 30_000 });
    expect(await registry.datasetCount()).toBe(count);
    await screenshot(page, "owner-enrol-refused-budget");

    // Enrolled with a real budget: on chain with the browser's commitment, then listed by the coordinator.
    await page.getByLabel("Privacy budget ε").fill("6");
    await page.getByLabel("Price per round (TRIB)").fill("2.5");
    await page.getByRole("button", { name: "Enrol on DatasetRegistry" }).click();
    await page.getByText(/The coordinator has indexed it/).waitFor({ timeout: 60_000 });
    const id = count + 1n;
    const onChain = await registry.getDataset(id);
    expect(onChain.owner.toLowerCase()).toBe(owner.address.toLowerCase());
    expect(onChain.commitment).toBe(browserCommitment);
    expect(onChain.metadataURI).toBe(`ipfs://${commitmentCid(browserCommitment as `0x${string}`)}`);
    expect(onChain.pricePerRound).toBe(parseEther("2.5"));
    expect(onChain.epsilon).toBe(6n * 10n ** 18n);
    expect(onChain.delta).toBe(10n ** 13n);
    await page.getByRole("heading", { name: `Dataset ${id}` }).waitFor({ timeout: 30_000 });
    await screenshot(page, "owner-enrolled");

    // The CLI's `tributary dataset enrol` on the same folder (the node path: files read from disk) commits to the
    // same manifest: enrolled by another owner, its commitment is the browser's.
    const deployment = path.join(world.workDir, "deployment.json");
    await writeFile(deployment, JSON.stringify(chain.system.deployment));
    const other = await chain.fundedWallet();
    vi.stubEnv("TRIBUTARY_TRAINER_KEY", other.privateKey);
    const cli = await tributary(
      "dataset",
      "enrol",
      path.dirname(files[0] as string),
      "--rpc",
      chain.url,
      "--deployment",
      deployment,
      "--price-per-round",
      "1",
      "--epsilon",
      "6",
      "--delta",
      "0.00001",
      "--manifest-out",
      path.join(world.workDir, "cli-manifest.json"),
      "--json",
    );
    vi.unstubAllEnvs();
    expect(cli.stderr).toBe("");
    expect(jsonLine(cli.stdout).commitment).toBe(browserCommitment);
    expect((await registry.getDataset(id + 1n)).commitment).toBe(browserCommitment);
    await page.close();
  });

  it("shows its share of a model's licence sales and claims it: the chain pays exactly pool × payout / total", async () => {
    const { chain, coordinator, browser, jobId } = world;
    const owner = world.owners[1] as Wallet;
    const { contracts } = chain.system.deployment;
    const rpc = chain.provider();
    // The job's researcher stakes and lists the job's model; a buyer buys a licence.
    const researcher = new Wallet(RESEARCHER_KEY, rpc);
    const models = connectModelRegistry(contracts.ModelRegistry, researcher);
    const token = connectTributaryToken(contracts.TributaryToken, researcher);
    const { minModelStake } = await models.parameters();
    await (await token.approve(contracts.Staking, minModelStake)).wait();
    await (await connectStaking(contracts.Staking, researcher).stake(minModelStake)).wait();
    await (
      await models.registerModel({
        modelHash: `0x${"5a".repeat(32)}`,
        modelURI: "ipfs://metadata",
        endpoint: "",
        pricePerToken: 1n,
        licensePrice: LICENCE_PRICE,
        paymentToken: contracts.TributaryToken,
        jobId: BigInt(jobId),
        stake: minModelStake,
      })
    ).wait();
    const modelId = await models.modelCount();
    const buyer = (await chain.fundedWallet({ tokens: LICENCE_PRICE })).connect(rpc);
    await (
      await connectTributaryToken(contracts.TributaryToken, buyer).approve(contracts.ModelRegistry, LICENCE_PRICE)
    ).wait();
    await (await connectModelRegistry(contracts.ModelRegistry, buyer).purchaseLicense(modelId, LICENCE_PRICE)).wait();

    // The closed form, from the chain's pool and payout total and the owner's leaf in the coordinator's ledger.
    const pool = await models.contributorPool(modelId);
    const { payoutTotal } = await connectTrainingJobs(contracts.TrainingJobs, rpc).getJob(BigInt(jobId));
    const ledger = JobLedgerSchema.parse(await (await fetch(`${coordinator.url}/ledger/jobs/${jobId}`)).json());
    const leaf = ledger.payout?.leaves.find((one) => one.trainer.toLowerCase() === owner.address.toLowerCase());
    const due = (pool * BigInt(leaf?.amount ?? 0)) / payoutTotal;
    expect(pool).toBeGreaterThan(0n);
    expect(due).toBeGreaterThan(0n);

    const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
    await page.goto(`${coordinator.url}/portal/#/owner`);
    await connectDevAccount(page, "owner 2", false);
    const claimable = page.getByTestId(`revenue-claimable-${modelId}`);
    await claimable.waitFor({ timeout: 30_000 });
    expect(await claimable.textContent()).toBe(`${formatEther(due)} TRIB`);
    await screenshot(page, "owner-model-revenue");
    const before = await token.balanceOf(owner.address);
    await page.getByRole("button", { name: `Claim revenue of model ${modelId}` }).click();
    await page.getByText(`received ${formatEther(due)} TRIB in tx`).waitFor({ timeout: 30_000 });
    expect((await token.balanceOf(owner.address)) - before).toBe(due);
    expect(await models.contributorClaimed(modelId, owner.address)).toBe(due);
    // The page reads the share again: nothing more to claim.
    await claimable.filter({ hasText: /^0\.0 TRIB$/ }).waitFor({ timeout: 30_000 });
    await screenshot(page, "owner-revenue-claimed");
    rpc.destroy();
    await page.close();
  });
});
