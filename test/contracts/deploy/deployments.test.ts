import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { expect } from "chai";
import { ZodError } from "zod";
import { DEPLOYED_CONTRACTS, loadDeployment, parseDeployment } from "@tributary/contracts/deployments";
import { ethers, loadSystem } from "../helpers/system.js";

async function tempDir() {
  const dir = await mkdtemp(path.join(tmpdir(), "tributary-deployments-"));
  return { dir, url: pathToFileURL(`${dir}/`) };
}

describe("deployment record and loader", () => {
  it("deploySystem records a parseable deployment whose every address holds code", async () => {
    const { deployment, deployer } = await loadSystem();
    expect(Object.keys(deployment.contracts).sort()).to.deep.equal([...DEPLOYED_CONTRACTS].sort());
    expect(deployment.deployer).to.equal(deployer.address.toLowerCase());
    expect(deployment.chainId).to.equal(Number((await ethers.provider.getNetwork()).chainId));
    for (const address of Object.values(deployment.contracts)) {
      expect(await ethers.provider.getCode(address)).to.not.equal("0x");
    }
    const firstDeployment = await ethers.provider.getTransactionReceipt(
      (await ethers.provider.getBlock(deployment.startBlock, false))?.transactions[0] ?? "",
    );
    expect(firstDeployment?.contractAddress?.toLowerCase()).to.equal(deployment.contracts.TributaryToken);
  });

  it("loadDeployment reads <chainId>.json from a directory and checks the chain id", async () => {
    const { deployment } = await loadSystem();
    const { dir, url } = await tempDir();
    try {
      await writeFile(path.join(dir, `${deployment.chainId}.json`), JSON.stringify(deployment));
      expect(await loadDeployment(deployment.chainId, url)).to.deep.equal(deployment);
      await writeFile(path.join(dir, "1.json"), JSON.stringify(deployment));
      let error: unknown;
      await loadDeployment(1, url).catch((e: unknown) => {
        error = e;
      });
      expect(error).to.be.instanceOf(RangeError);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("parseDeployment rejects a missing contract or a malformed address", async () => {
    const { deployment } = await loadSystem();
    const { TributaryToken: _dropped, ...missing } = deployment.contracts;
    expect(() => parseDeployment({ ...deployment, contracts: missing })).to.throw(ZodError);
    expect(() =>
      parseDeployment({ ...deployment, contracts: { ...deployment.contracts, Staking: "0x1234" } }),
    ).to.throw(ZodError);
    expect(() => parseDeployment({ ...deployment, chainId: 0 })).to.throw(ZodError);
  });
});
