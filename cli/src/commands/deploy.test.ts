import { readFile } from "node:fs/promises";
import path from "node:path";
import { DEFAULT_DEPLOY_OPTIONS } from "@tributary/contracts/deploy";
import { DEPLOYED_CONTRACTS, parseDeployment } from "@tributary/contracts/deployments";
import { connectAttestationRegistry, connectTrainingJobs, connectTributaryToken } from "@tributary/contracts/typed";
import { Wallet } from "ethers";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { type DeployedChain, startDeployedChain } from "../../test-support/deployed-chain.js";
import { tributary } from "../../test-support/run-tributary.js";

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

const deploy = (out: string, ...extra: string[]) =>
  tributary("deploy", "--rpc", deployed.chain.url, "--out", out, ...extra);

describe("tributary deploy", () => {
  it("deploys every contract from the deployer's key, hands administration to the timelock and writes the file", async () => {
    const deployer = await deployed.chain.fundedWallet();
    vi.stubEnv("TRIBUTARY_DEPLOYER_KEY", deployer.privateKey);
    const out = path.join(deployed.dir, "new-deployment.json");
    const coordinator = Wallet.createRandom().address;
    const result = await deploy(out, "--attestation-registrar", coordinator);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`wrote ${out}: chain 31337`);

    const deployment = parseDeployment(JSON.parse(await readFile(out, "utf8")));
    expect(deployment.deployer).toBe(deployer.address.toLowerCase());
    expect(Object.keys(deployment.contracts).sort()).toEqual([...DEPLOYED_CONTRACTS].sort());
    const { provider } = deployed;
    for (const address of Object.values(deployment.contracts)) expect(await provider.getCode(address)).not.toBe("0x");
    // A second system beside the chain's own: new addresses, not the first deployment's.
    expect(deployment.contracts.TrainingJobs).not.toBe(deployed.chain.system.deployment.contracts.TrainingJobs);
    const token = connectTributaryToken(deployment.contracts.TributaryToken, provider);
    expect(await token.balanceOf(deployer.address)).toBe(DEFAULT_DEPLOY_OPTIONS.initialSupply);
    const jobs = connectTrainingJobs(deployment.contracts.TrainingJobs, provider);
    const admin = await jobs.DEFAULT_ADMIN_ROLE();
    expect(await jobs.hasRole(admin, deployment.contracts.TributaryTimelock)).toBe(true);
    expect(await jobs.hasRole(admin, deployer.address)).toBe(false);
    // The coordinator named with --attestation-registrar may record attestations; the deployer may not.
    const attestation = connectAttestationRegistry(deployment.contracts.AttestationRegistry, provider);
    const registrar = await attestation.REGISTRAR_ROLE();
    expect(await attestation.hasRole(registrar, coordinator)).toBe(true);
    expect(await attestation.hasRole(registrar, deployer.address)).toBe(false);

    // Never over an existing deployment file, and nothing is sent before that is known.
    const nonce = await provider.getTransactionCount(deployer.address);
    const again = await deploy(out);
    expect(again.code).toBe(2);
    expect(again.stderr).toBe(
      `tributary: ${out} already exists: not overwriting a deployment file (move it away, or write elsewhere with --out)\n`,
    );
    expect(await provider.getTransactionCount(deployer.address)).toBe(nonce);
  });

  it("refuses a deployer without ether for gas, and one without a key", async () => {
    const broke = Wallet.createRandom();
    vi.stubEnv("TRIBUTARY_DEPLOYER_KEY", broke.privateKey);
    const result = await deploy(path.join(deployed.dir, "never.json"));
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      `tributary: ${broke.address} holds no ether on chain 31337 to pay for the deployment's gas\n`,
    );
    vi.unstubAllEnvs();
    const keyless = await deploy(path.join(deployed.dir, "never.json"));
    expect(keyless.code).toBe(2);
    expect(keyless.stderr).toBe(
      "tributary: give --keystore FILE or set TRIBUTARY_DEPLOYER_KEY to the deployer's private key\n",
    );
  });
});
