import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { coordinatorBlobFetcher } from "@tributary/auditor";
import { LocalChain } from "@tributary/contracts/local-chain";
import { connectModelRegistry, connectTrainingJobs, connectTributaryToken } from "@tributary/contracts/typed";
import type { Coordinator } from "@tributary/coordinator";
import { createValidationEvaluator, initTrainingBackend } from "@tributary/model-runtime";
import {
  bytesToWeights,
  type DatasetManifest,
  encodeValidationSet,
  jobSpecHash,
  ModelMetadataSchema,
  manifestCommitment,
  type ValidationSet,
} from "@tributary/protocol";
import { ChainJobAdmission } from "@tributary/trainer-agent";
import { formatEther, parseEther, type Wallet } from "ethers";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DATABASES, type TestDatabase } from "../../coordinator/test-support/databases.js";
import { startChainCoordinator } from "../../coordinator/test-support/on-chain-job.js";
import { signInAs, until } from "../../coordinator/test-support/rest.js";
import { CLASSES, FEATURES, type OwnerAgent, ownerAgent } from "../../trainer-agent/test-support/owner-fixture.js";
import { connectDevAccount, ensurePortalBuilt, launchChromium, screenshot } from "./helpers/portal-browser.js";

/** Records each owner's (real, tfjs-training) trainer agent holds: labels i mod 3. */
const RECORDS = 64;
const ROUNDS = 2;
/** LocalChain's default price per round of a dataset. */
const PRICE_PER_ROUND = parseEther("5");
const MODEL = {
  inputShape: [FEATURES],
  layers: [{ type: "dense", units: CLASSES, activation: "softmax" }],
  loss: "sparseCategoricalCrossentropy",
  numClasses: CLASSES,
};

let chain: LocalChain;
let db: TestDatabase;
let coordinator: Coordinator;
let browser: Browser;
let researcher: Wallet;
let datasetIds: string[];
const owners: OwnerAgent[] = [];
let workDir: string;
let validationFile: string;
let heldOut: ValidationSet;

/** The manifest of an owner's fixture records: what its commitment on DatasetRegistry hashes. */
function manifest(owner: number): DatasetManifest {
  const histogram = Array.from(
    { length: CLASSES },
    (_, label) => Array.from({ length: RECORDS }, (_, i) => i % CLASSES).filter((one) => one === label).length,
  );
  return {
    version: 1,
    format: "jsonl",
    recordCount: RECORDS,
    featureShape: [FEATURES],
    numClasses: CLASSES,
    labelHistogram: histogram,
    shards: [{ name: `owner-${owner}.jsonl`, role: "records", sha256: String(owner).repeat(64), bytes: 1 }],
  };
}

/**
 * A real coordinator on a local chain serving the built portal; three data owners who enrolled datasets on
 * DatasetRegistry (5 TRIB per round each) and run real trainer agents; a researcher with 2,000 TRIB whom the
 * development wallet lists; and the researcher's held-out set on disk, as `tributary job validation-set` writes it.
 */
beforeAll(async () => {
  const dist = await ensurePortalBuilt();
  workDir = await mkdtemp(path.join(tmpdir(), "tributary-portal-researcher-"));
  await initTrainingBackend({ log: () => {} });
  chain = await LocalChain.start();
  db = await (DATABASES[0] as (typeof DATABASES)[number]).setup();
  const [sender, funded, ...ownerWallets] = (await chain.fundedWallets(5)) as Wallet[];
  researcher = funded as Wallet;
  // The reward, and ModelRegistry's minimum stake (1,000 TRIB) to list the model.
  await chain.transferTokens(researcher.address, parseEther("2000"));
  const devWalletFile = path.join(workDir, "dev-wallet.json");
  await writeFile(
    devWalletFile,
    JSON.stringify({
      rpcUrl: chain.url,
      accounts: [{ label: "researcher", role: "researcher", privateKey: researcher.privateKey }],
    }),
  );
  const { contracts } = chain.system.deployment;
  const { TributaryToken, Staking } = contracts;
  coordinator = await startChainCoordinator(
    chain,
    db,
    sender as Wallet,
    {},
    { portal: { dir: dist, devWalletFile, contracts: { TributaryToken, Staking } } },
  );
  datasetIds = [];
  for (const [index, wallet] of ownerWallets.entries()) {
    const commitment = manifestCommitment(manifest(index));
    const id = String(await chain.registerDataset(wallet.connect(chain.provider()), "ipfs://dataset", { commitment }));
    datasetIds.push(id);
    await until(`dataset ${id} indexed`, async () =>
      (await fetch(`${coordinator.url}/datasets/${id}`)).ok ? true : undefined,
    );
    const owner = await ownerAgent({
      coordinatorUrl: coordinator.url,
      wallet: wallet,
      datasetId: id,
      commitment: commitment as `0x${string}`,
      manifest: manifest(index),
      records: RECORDS,
      allowNonPrivate: true,
      // The owner's terms, read from the chain itself: its dataset, TRIB, escrow ≥ price × rounds, the spec's hash.
      admission: new ChainJobAdmission({
        runner: chain.provider(),
        chainId: chain.chainId,
        trainingJobs: contracts.TrainingJobs,
        datasetRegistry: contracts.DatasetRegistry,
        datasetId: id,
        allowedTokens: [contracts.TributaryToken],
      }),
    });
    await owner.agent.start();
    owners.push(owner);
  }
  heldOut = {
    count: 30,
    featureShape: [FEATURES],
    features: Float32Array.from({ length: 30 * FEATURES }, (_, i) => ((i * 7) % 11) / 11),
    labels: Int32Array.from({ length: 30 }, (_, i) => i % CLASSES),
  };
  validationFile = path.join(workDir, "held-out.bin");
  await writeFile(validationFile, encodeValidationSet(heldOut));
  browser = await launchChromium();
}, 600_000);

afterAll(async () => {
  await browser?.close();
  for (const owner of owners) owner.agent.stop();
  await coordinator?.close();
  await chain?.stop();
  await db?.cleanup();
  await rm(workDir, { recursive: true, force: true });
});

/** Fills the job form: the fixture's model, `ROUNDS` rounds, the datasets (all their trainers each round), the set. */
async function fillJob(page: Page, reward: string, datasets: readonly string[] = datasetIds): Promise<void> {
  await page.getByLabel("Job name").fill("portal researcher");
  await page.getByLabel("Model (ModelSpec JSON)").fill(JSON.stringify(MODEL, null, 2));
  await page.getByLabel("Rounds").fill(String(ROUNDS));
  await page.getByLabel("Batch size").fill("8");
  await page.getByLabel("Trainers per round (minimum)").fill(String(datasets.length));
  for (const id of datasets) await page.getByLabel(`Dataset ${id}`, { exact: true }).check();
  await page.getByLabel(/^Validation set/).setInputFiles(validationFile);
  await page.getByTestId("validation-picked").waitFor();
  await page.getByLabel(/^Reward/).fill(reward);
}

describe("the researcher's page in Chromium against a real coordinator, local chain and trainer agents", () => {
  it("refuses a reward below the datasets' prices, then creates a job, watches it finish live and registers its model", async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
    await page.goto(`${coordinator.url}/portal/#/researcher`);
    await connectDevAccount(page, "researcher");
    await page.getByRole("button", { name: "Create a new job" }).click();
    // The datasets as DatasetRegistry lists them, with their price per round.
    for (const id of datasetIds) {
      const row = page.getByRole("row", { name: new RegExp(`Dataset ${id}\\b`) });
      await expect(row.textContent()).resolves.toContain(`${formatEther(PRICE_PER_ROUND)} TRIB`);
    }

    // 3 datasets × 5 TRIB × 2 rounds = 30 TRIB: 29.5 is refused in the page, before anything is sent.
    const needed = PRICE_PER_ROUND * 3n * BigInt(ROUNDS);
    const token = connectTributaryToken(chain.system.deployment.contracts.TributaryToken, chain.provider());
    const before = await token.balanceOf(researcher.address);
    await fillJob(page, "29.5");
    await expect(page.getByTestId("reward-needed").textContent()).resolves.toContain(`${formatEther(needed)} TRIB`);
    await page.getByRole("button", { name: "Create the job" }).click();
    const refusal = page.getByText(/^Reward 29\.5 TRIB does not cover what the chosen datasets ask/);
    await refusal.waitFor();
    await expect(refusal.textContent()).resolves.toContain(`= ${formatEther(needed)} TRIB`);
    await expect(page.getByLabel(/^Reward/).getAttribute("aria-invalid")).resolves.toBe("true");
    await screenshot(page, "researcher-reward-refused");
    expect(await token.balanceOf(researcher.address)).toBe(before);

    // Enough reward: uploaded, approved, created on TrainingJobs and adopted; the page opens the job.
    const reward = parseEther("40");
    await page.getByLabel(/^Reward/).fill(formatEther(reward));
    await page.getByRole("button", { name: "Create the job" }).click();
    const adopted = page.getByText(/^Job (\d+) adopted by the coordinator\.$/);
    await adopted.waitFor({ timeout: 120_000 });
    const jobId = (((await adopted.textContent()) ?? "").match(/^Job (\d+)/) as RegExpMatchArray)[1] as string;
    await screenshot(page, "researcher-job-created");

    // The chain holds exactly what the page asked: the escrow, the datasets, the rounds and the spec's hash.
    const jobs = connectTrainingJobs(chain.system.deployment.contracts.TrainingJobs, chain.provider());
    const onChain = await jobs.getJob(BigInt(jobId));
    expect(onChain.escrow).toBe(reward);
    expect(onChain.researcher.toLowerCase()).toBe(researcher.address.toLowerCase());
    expect(Number(onChain.rounds)).toBe(ROUNDS);
    expect((await token.balanceOf(researcher.address)) - before).toBe(-reward);
    const view = (await (await fetch(`${coordinator.url}/jobs/${jobId}`)).json()) as {
      spec: Parameters<typeof jobSpecHash>[0];
    };
    expect(jobSpecHash(view.spec)).toBe(onChain.modelSpecHash);
    expect(view.spec.scoring).toMatchObject({ method: "gtg-shapley" });

    // Live over the watch channel (the page does not poll): it shows the job completing, then finalised on chain.
    await page.locator('[data-testid="watch-state"][data-state="live"]').waitFor({ timeout: 30_000 });
    await page
      .getByTestId("job-status")
      .filter({ hasText: /^completed/ })
      .waitFor({ timeout: 300_000 });
    const rows = await page.getByRole("table", { name: "Rounds" }).getByRole("row").allTextContents();
    expect(rows.slice(1).map((row) => row.replace(/(—|\d+\.\d+)$/, ""))).toEqual([
      "0traindone3/3",
      "1traindone3/3",
      "2evaluatedone3/3",
    ]);
    await page
      .getByTestId("chain-status")
      .filter({ hasText: /^Finalized on chain/ })
      .waitFor({ timeout: 120_000 });
    const anchored = await jobs.queryFilter(jobs.filters.RoundAnchored(BigInt(jobId)));
    expect(anchored).toHaveLength(ROUNDS);
    const anchors = await page.locator(".anchors").textContent();
    for (const event of anchored) expect(anchors).toContain(event.transactionHash);
    await screenshot(page, "researcher-job-finished");

    // Register the finished model from the job page: ModelRegistry's minimum stake (staked first), 10 TRIB licence.
    const form = page.getByRole("form", { name: "Register the model" });
    await form.getByLabel("Stake to lock (TRIB)").waitFor();
    await form.getByRole("button", { name: `Register the model of job ${jobId}` }).click();
    const done = page.getByTestId("model-registered");
    await done.or(form.getByRole("alert")).waitFor({ timeout: 120_000 });
    if (!(await done.isVisible())) throw new Error(`the page refused: ${await form.getByRole("alert").textContent()}`);
    const modelId = BigInt(
      (((await done.textContent()) ?? "").match(/^Model (\d+) registered/) as RegExpMatchArray)[1] as string,
    );
    const registry = connectModelRegistry(chain.system.deployment.contracts.ModelRegistry, chain.provider());
    const listed = await registry.getModel(modelId);
    const lastAnchor = await jobs.getRound(BigInt(jobId), BigInt(ROUNDS));
    expect(listed.modelHash).toBe(lastAnchor.modelHash);
    expect(listed.jobId).toBe(BigInt(jobId));
    expect(listed.provider.toLowerCase()).toBe(researcher.address.toLowerCase());
    expect(listed.licensePrice).toBe(parseEther("10"));
    expect(listed.stake).toBe((await registry.parameters()).minModelStake);
    // The metadata the page built: the accuracy it evaluated in the browser (fixed point) against tfjs's float32
    // evaluation of the same weights here, which the CLI's registration uses.
    const cid = listed.modelURI.replace("ipfs://", "");
    const metadata = ModelMetadataSchema.parse(await (await fetch(`${coordinator.url}/model-metadata/${cid}`)).json());
    expect(metadata.jobId).toBe(jobId);
    const session = await signInAs(coordinator.url, researcher);
    const weightBytes = await coordinatorBlobFetcher(coordinator.url, jobId, session)(metadata.modelCid);
    const weights = bytesToWeights(weightBytes as Uint8Array);
    const evaluator = await createValidationEvaluator(metadata.jobSpec.model, heldOut);
    const reference = await evaluator.evaluate(weights);
    evaluator.dispose();
    expect(metadata.validation?.examples).toBe(heldOut.labels.length);
    expect(Math.abs((metadata.validation?.accuracy as number) - reference.accuracy)).toBeLessThanOrEqual(1 / 30);
    expect(metadata.validation?.loss).toBeCloseTo(reference.loss, 2);
    await screenshot(page, "researcher-model-registered");
    await page.close();
  }, 900_000);

  it("refuses to cancel an accepted job before it goes stale, in the contract's words", async () => {
    // The third owner's agent goes offline: a job on its dataset alone is adopted and accepted, but cannot start.
    const [, , offline] = owners;
    offline?.agent.stop();
    const dataset = datasetIds[2] as string;
    const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
    await page.goto(`${coordinator.url}/portal/#/researcher`);
    await connectDevAccount(page, "researcher");
    await page.getByRole("button", { name: "Create a new job" }).click();
    await fillJob(page, "10", [dataset]);
    await page.getByRole("button", { name: "Create the job" }).click();
    const adopted = page.getByText(/^Job (\d+) adopted by the coordinator\.$/);
    await adopted.waitFor({ timeout: 120_000 });
    const jobId = (((await adopted.textContent()) ?? "").match(/^Job (\d+)/) as RegExpMatchArray)[1] as string;
    await page
      .getByTestId("chain-status")
      .filter({ hasText: "accepted by its coordinator" })
      .waitFor({ timeout: 60_000 });
    const jobs = connectTrainingJobs(chain.system.deployment.contracts.TrainingJobs, chain.provider());
    const before = await jobs.getJob(BigInt(jobId));
    const staleAt = before.lastActivityAt + before.staleJobTimeout;
    await page.getByRole("button", { name: `Cancel job ${jobId}` }).click();
    const refusal = page.getByRole("alert").filter({ hasText: "TrainingJobsNotCancellable" });
    await refusal.waitFor({ timeout: 30_000 });
    expect(await refusal.textContent()).toBe(
      `the chain refused it: TrainingJobsNotCancellable(jobId=${jobId}, staleAt=${staleAt} (${new Date(Number(staleAt) * 1000).toISOString()}))`,
    );
    await expect(
      page
        .getByText(
          `The contract refuses until the job goes stale, after ${new Date(Number(staleAt) * 1000).toISOString()}.`,
        )
        .isVisible(),
    ).resolves.toBe(true);
    const after = await jobs.getJob(BigInt(jobId));
    expect(after.status).toBe(before.status);
    expect(after.escrow).toBe(parseEther("10"));
    await screenshot(page, "researcher-cancel-refused");
    await page.close();
  }, 300_000);

  it("puts the schema's refusal of an advanced option beside its input, and sends nothing", async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
    await page.goto(`${coordinator.url}/portal/#/researcher`);
    await connectDevAccount(page, "researcher");
    await page.getByRole("button", { name: "Create a new job" }).click();
    await fillJob(page, "10", [datasetIds[0] as string]);
    await page.getByText(/^Advanced:/).click();
    await page.getByLabel("Aggregation strategy").selectOption("krum");
    await page.getByLabel("Byzantine trainers tolerated (f)").fill("1");
    await page.getByLabel("Secure aggregation (SecAgg+)").check();
    await page.getByLabel("Threshold t (neighbours needed to unmask)").fill("3");
    await page.getByLabel("Neighbours k (even)").fill("4");
    await page.getByLabel("Per-coordinate clip of an update").fill("0.5");
    await page.getByRole("button", { name: "Create the job" }).click();
    const secAgg = page.getByLabel("Secure aggregation (SecAgg+)");
    await expect(secAgg.getAttribute("aria-invalid")).resolves.toBe("true");
    /** The problem shown beside the input labelled `label` (its aria-describedby). */
    const problemOf = async (label: string) => {
      const id = await page.getByLabel(label, { exact: true }).getAttribute("aria-describedby");
      return id === null ? null : page.locator(`[id="${id}"]`).textContent();
    };
    expect(await problemOf("Secure aggregation (SecAgg+)")).toMatch(
      /^JobSpec\.secureAggregation: .*strategy krum needs every update/,
    );
    expect(await problemOf("Trainers per round (minimum)")).toMatch(/^JobSpec\.clients\.min: must exceed/);
    await expect(page.getByTestId("create-steps").count()).resolves.toBe(0);
    await screenshot(page, "researcher-advanced-refused");
    await page.close();
  }, 120_000);
});
