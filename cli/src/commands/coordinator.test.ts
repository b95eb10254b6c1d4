import { writeFile } from "node:fs/promises";
import path from "node:path";
import { Wallet } from "ethers";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { type DeployedChain, startDeployedChain } from "../../test-support/deployed-chain.js";
import { tributary } from "../../test-support/run-tributary.js";

// The coordinator itself, run by this command as its own process, is exercised end to end in
// test/e2e/network.test.ts; here, what it refuses before it starts.

let deployed: DeployedChain;

beforeAll(async () => {
  deployed = await startDeployedChain();
});

afterAll(async () => {
  await deployed?.stop();
});

afterEach(() => {
  vi.unstubAllEnvs();
});

describe("tributary coordinator", () => {
  it("refuses to start without the sender's key, or with a deployment of another chain", async () => {
    const keyless = await tributary(
      "coordinator",
      "--rpc",
      deployed.chain.url,
      "--deployment",
      deployed.deploymentFile,
    );
    expect(keyless.code).toBe(2);
    expect(keyless.stderr).toBe(
      "tributary: give --keystore FILE or set TRIBUTARY_COORDINATOR_KEY to the coordinator's private key\n",
    );

    vi.stubEnv("TRIBUTARY_COORDINATOR_KEY", Wallet.createRandom().privateKey);
    const elsewhere = path.join(deployed.dir, "mainnet.json");
    await writeFile(elsewhere, JSON.stringify({ ...deployed.chain.system.deployment, chainId: 1 }));
    const wrongChain = await tributary("coordinator", "--rpc", deployed.chain.url, "--deployment", elsewhere);
    expect(wrongChain.code).toBe(2);
    expect(wrongChain.stderr).toBe(
      `tributary: the deployment file ${elsewhere} describes chain 1, but the RPC serves chain 31337\n`,
    );

    const badMode = await tributary("coordinator", "--rpc", deployed.chain.url, "--mode", "testing");
    expect(badMode.code).toBe(2);
    expect(badMode.stderr).toContain("coordinator options.mode: ");
  });
});
