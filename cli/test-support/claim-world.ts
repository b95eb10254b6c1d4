import type { LocalChain } from "@tributary/contracts/local-chain";
import { afterAll, afterEach, beforeAll, vi } from "vitest";
import { type LedgerServer, startLedgerServer } from "../../auditor/test-support/ledger-job.js";
import { type DeployedChain, startDeployedChain } from "./deployed-chain.js";

/** What claim tests run against: a deployed local chain and a coordinator's ledger routes (`startLedgerServer`). */
export interface ClaimWorld {
  readonly deployed: DeployedChain;
  readonly chain: LocalChain;
  readonly server: LedgerServer;
  /** `--rpc`, `--deployment` and `--coordinator` (the ledger server). */
  flags(): string[];
}

/**
 * Starts a `ClaimWorld` before the file's tests and stops it after them; key variables stubbed by a test are
 * removed after it. Read its fields inside tests (they are set once `beforeAll` has run).
 */
export function useClaimWorld(): ClaimWorld {
  const world = {
    flags: () => [
      "--rpc",
      world.chain.url,
      "--deployment",
      world.deployed.deploymentFile,
      "--coordinator",
      world.server.url,
    ],
  } as ClaimWorld & { deployed: DeployedChain; chain: LocalChain; server: LedgerServer };
  beforeAll(async () => {
    world.deployed = await startDeployedChain();
    world.chain = world.deployed.chain;
    world.server = await startLedgerServer();
  });
  afterAll(async () => {
    await world.server?.close();
    await world.deployed?.stop();
  });
  afterEach(() => {
    vi.unstubAllEnvs();
  });
  return world;
}
