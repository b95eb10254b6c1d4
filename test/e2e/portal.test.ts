import { connectTrainingJobs, connectTributaryToken } from "@tributary/contracts/typed";
import { formatEther, type Wallet } from "ethers";
import { DataSource } from "typeorm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectDevAccount, screenshot } from "./helpers/portal-browser.js";
import { type PortalJobWorld, startPortalJobWorld } from "./helpers/portal-job-world.js";

let world: PortalJobWorld;
let chain: PortalJobWorld["chain"];
let coordinator: PortalJobWorld["coordinator"];
let browser: PortalJobWorld["browser"];
let owners: Wallet[];
let jobId: string;

beforeAll(async () => {
  world = await startPortalJobWorld("portal");
  ({ chain, coordinator, browser, owners, jobId } = world);
}, 240_000);

afterAll(async () => {
  await world?.close();
});

const portal = (role: string) => `${coordinator.url}/portal/#/${role}`;

describe("the portal in Chromium against a real coordinator and local chain", () => {
  it("auditor: verifies a job against the chain in the browser, then names the round an operator altered", async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(portal("auditor"));
    await connectDevAccount(page, "researcher");
    await page.getByRole("button", { name: `Open job ${jobId}` }).click();
    await page.getByRole("button", { name: "Verify against the chain" }).click();
    const verdict = page.getByRole("heading", { name: /The ledger agrees with the chain/ });
    await verdict.waitFor({ timeout: 30_000 });
    // 2 rounds × 3 owners, every leaf signed; 6 update blobs and 2 round models read as the researcher.
    await expect(page.getByText(/2 round\(s\), 6 leaves, 8 blob\(s\), 6 signature\(s\)/).isVisible()).resolves.toBe(
      true,
    );
    await screenshot(page, "auditor-verified");

    // The operator moves 1 % of round 1's score from the second owner to the first in its database.
    const [first, second] = owners.map((owner) => owner.address.toLowerCase());
    const moved = String(10n ** 16n);
    await coordinator.app.get(DataSource).transaction(async (manager) => {
      await manager.query("UPDATE updates SET score = score - $1 WHERE job_id = $2 AND round = 1 AND trainer = $3", [
        moved,
        jobId,
        second,
      ]);
      await manager.query("UPDATE updates SET score = score + $1 WHERE job_id = $2 AND round = 1 AND trainer = $3", [
        moved,
        jobId,
        first,
      ]);
    });
    await page.reload();
    await connectDevAccount(page, "researcher", false);
    await page.getByRole("button", { name: `Open job ${jobId}` }).click();
    await page.getByRole("button", { name: "Verify against the chain" }).click();
    await page.getByRole("heading", { name: /disagreement\(s\) with the chain/ }).waitFor({ timeout: 30_000 });
    const items = await page.locator(".disagreements li").allInnerTexts();
    expect(items.some((text) => text.startsWith("round-root") && text.includes("round 1"))).toBe(true);
    expect(items.some((text) => text.includes("round 0"))).toBe(false);
    await screenshot(page, "auditor-disagreement");
    await page.close();
  });

  it("researcher: watches the job with its rounds and trainers done, and each anchor's transaction from the chain", async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(portal("researcher"));
    await connectDevAccount(page, "researcher", false);
    await page.getByRole("button", { name: `Open job ${jobId}` }).click();
    await expect(page.getByTestId("job-status").innerText()).resolves.toMatch(/^completed/);
    // Each of the 2 training rounds and the evaluation was answered by the 3 scripted owners; they report no loss,
    // and the page says so rather than drawing empty axes.
    const rounds = await page.getByRole("table", { name: "Rounds" }).getByRole("row").allTextContents();
    expect(rounds.slice(1).map((row) => row.replace(/—$/, ""))).toEqual([
      "0traindone3/3",
      "1traindone3/3",
      "2evaluatedone3/3",
    ]);
    await page.getByText("Loss per round: no value reported yet.").waitFor();
    // Every RoundAnchored transaction of this job on chain is listed on the page.
    const jobs = connectTrainingJobs(chain.system.deployment.contracts.TrainingJobs, chain.provider());
    const anchored = await jobs.queryFilter(jobs.filters.RoundAnchored(BigInt(jobId)));
    expect(anchored).toHaveLength(2);
    const anchors = await page.locator(".anchors").innerText();
    for (const event of anchored) expect(anchors).toContain(event.transactionHash);
    await screenshot(page, "researcher-job");
    await page.setViewportSize({ width: 390, height: 844 });
    await screenshot(page, "researcher-job-phone");
    await page.close();
  });

  it("data owner: sees its dataset and its payout, and claims it: the chain pays exactly the amount shown", async () => {
    const owner = owners[2] as Wallet;
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(portal("owner"));
    await connectDevAccount(page, "owner 3", false);
    await page.getByRole("heading", { name: "Your datasets" }).waitFor();
    const row = page.getByRole("row", { name: new RegExp(`^${jobId} `) });
    const shown = (await row.getByRole("cell").nth(1).innerText()).replace(" TRIB", "");
    const token = connectTributaryToken(chain.system.deployment.contracts.TributaryToken, chain.provider());
    const before = await token.balanceOf(owner.address);
    await screenshot(page, "owner-datasets");
    await row.getByRole("button", { name: `Claim job ${jobId}` }).click();
    await page.getByText(/claimed in tx/).waitFor({ timeout: 30_000 });
    const after = await token.balanceOf(owner.address);
    expect(formatEther(after - before)).toBe(shown);
    expect(after - before).toBeGreaterThan(0n);
    await screenshot(page, "owner-claimed");
    await page.close();
  });
});
