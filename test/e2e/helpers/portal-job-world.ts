import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { LocalChain } from "@tributary/contracts/local-chain";
import type { Coordinator } from "@tributary/coordinator";
import type { Wallet } from "ethers";
import type { Browser } from "playwright-core";
import { DATABASES } from "../../../coordinator/test-support/databases.js";
import {
  connectTrainers,
  createOnChainJob,
  evaluate,
  intentsSettled,
  startChainCoordinator,
  trainRound,
} from "../../../coordinator/test-support/on-chain-job.js";
import { ensurePortalBuilt, launchChromium } from "./portal-browser.js";

/** Hardhat's first account (published development key): LocalChain's deployer, the researcher of its jobs. */
export const RESEARCHER_KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";

/** A coordinator on a local chain serving the built portal, with one on-chain job played to its payouts. */
export interface PortalJobWorld {
  readonly chain: LocalChain;
  readonly coordinator: Coordinator;
  readonly browser: Browser;
  /** The job's three data owners, listed by the development wallet as "owner 1" to "owner 3". */
  readonly owners: Wallet[];
  readonly jobId: string;
  /** A temporary directory the test may write to (removed by `close`). */
  readonly workDir: string;
  close(): Promise<void>;
}

/**
 * A real coordinator on a local chain serving the built portal, and one on-chain job of 2 rounds played to its
 * payouts by three scripted data owners; the development wallet lists the researcher and the owners.
 */
export async function startPortalJobWorld(name: string): Promise<PortalJobWorld> {
  const dist = await ensurePortalBuilt();
  const workDir = await mkdtemp(path.join(tmpdir(), `tributary-${name}-`));
  const chain = await LocalChain.start();
  const db = await (DATABASES[0] as (typeof DATABASES)[number]).setup();
  const sender = await chain.fundedWallet();
  const devWalletFile = path.join(workDir, "dev-wallet.json");
  const coordinator = await startChainCoordinator(chain, db, sender, {}, { portal: { dir: dist, devWalletFile } });
  const job = await createOnChainJob(chain, coordinator, sender, 2);
  await writeFile(
    devWalletFile,
    JSON.stringify({
      rpcUrl: chain.url,
      accounts: [
        { label: "researcher", role: "researcher", privateKey: RESEARCHER_KEY },
        ...job.owners.map((owner, i) => ({ label: `owner ${i + 1}`, role: "owner", privateKey: owner.privateKey })),
      ],
    }),
  );
  const trainers = await connectTrainers(coordinator, job.owners, job.datasets, job.jobId);
  await trainRound(trainers, 1);
  await trainRound(trainers, 10);
  await evaluate(trainers, 1);
  await intentsSettled(coordinator, 4);
  for (const trainer of trainers) trainer.close();
  const browser = await launchChromium();
  return {
    chain,
    coordinator,
    browser,
    owners: job.owners,
    jobId: job.jobId,
    workDir,
    close: async () => {
      await browser.close();
      await coordinator.close();
      await chain.stop();
      await rm(workDir, { recursive: true, force: true });
    },
  };
}
