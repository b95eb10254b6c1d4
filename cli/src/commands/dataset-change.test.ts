import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import path from "node:path";
import type { Wallet } from "ethers";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { writeMnistIdx } from "../../../trainer-agent/test-support/mnist-package.js";
import { type OwnerChain, startOwnerChain } from "../../test-support/owner-chain.js";
import { jsonLine } from "../../test-support/run-tributary.js";

const E18 = 10n ** 18n;

let env: OwnerChain;
beforeAll(async () => {
  env = await startOwnerChain({ train: 60, test: 10 });
});
afterAll(() => env?.stop());
afterEach(() => {
  vi.unstubAllEnvs();
});

const dataset = (...args: string[]) => env.dataset(...args);
const stored = (id: string) => env.registry().getDataset(BigInt(id));
const nonce = (wallet: Wallet) => env.provider.getTransactionCount(wallet.address);

/** A fresh owner (its key in the environment) with a fresh dataset enrolled from `env.dataDir`. */
async function enrolled(): Promise<{ owner: Wallet; id: string; commitment: string; metadataURI: string }> {
  const owner = await env.newOwner();
  const result = await dataset(
    "enrol",
    env.dataDir,
    "--price-per-round",
    "1",
    "--epsilon",
    "3",
    "--delta",
    "1e-6",
    "--json",
  );
  expect(result.code).toBe(0);
  const line = jsonLine(result.stdout) as { datasetId: string; commitment: string; metadataURI: string };
  return { owner, id: line.datasetId, commitment: line.commitment, metadataURI: line.metadataURI };
}

describe("tributary dataset update", () => {
  it("changes only what is given and prints the dataset after", async () => {
    const { id, commitment } = await enrolled();
    const result = await dataset("update", id, "--price-per-round", "4", "--epsilon", "2.5", "--json");
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    const line = jsonLine(result.stdout) as { dataset: Record<string, unknown>; transactions: { call: string }[] };
    expect(line.transactions.map((tx) => tx.call)).toEqual(["DatasetRegistry.updateDataset"]);
    const after = await stored(id);
    expect(after.pricePerRound).toBe(4n * E18);
    expect(after.epsilon).toBe(25n * 10n ** 17n);
    expect(after.delta).toBe(10n ** 12n);
    expect(after.commitment).toBe(commitment);
    expect(line.dataset).toMatchObject({ pricePerRound: String(4n * E18), epsilon: 2.5, commitment });

    const same = await dataset("update", id, "--price-per-round", "4");
    expect(same.code).toBe(2);
    expect(same.stderr).toMatch(/^tributary: the update leaves dataset \d+ as it is/);
  });

  it("--dir recommits to changed files, and renames the metadata when it was the old manifest's CID", async () => {
    const { id, commitment, metadataURI } = await enrolled();
    const copy = path.join(env.dir, "changed");
    // The owner's data grew by one record: other files, so another manifest.
    await writeMnistIdx(copy, { train: 61, test: 10 });
    const result = await dataset("update", id, "--dir", copy, "--json");
    expect(result.code).toBe(0);
    const manifest = await readFile(path.join(copy, "tributary-manifest.json"));
    const after = await stored(id);
    expect(after.commitment).toBe(`0x${createHash("sha256").update(manifest).digest("hex")}`);
    expect(after.commitment).not.toBe(commitment);
    expect(after.metadataURI).toMatch(/^ipfs:\/\/bafkrei/);
    expect(after.metadataURI).not.toBe(metadataURI);
  });

  it("refuses another owner's dataset and an unknown id, before sending anything", async () => {
    const { id, owner } = await enrolled();
    const stranger = await env.newOwner();
    const before = await nonce(stranger);
    const result = await dataset("update", id, "--epsilon", "1", "--json");
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      `tributary: dataset ${id} is owned by ${owner.address.toLowerCase()}, not by this key's ${stranger.address.toLowerCase()}\n`,
    );
    expect(jsonLine(result.stdout)).toMatchObject({ ok: false, error: { code: "NOT_DATASET_OWNER" } });
    const unknown = await dataset("update", "999999", "--epsilon", "1");
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/knows no dataset 999999\n$/);
    expect(await nonce(stranger)).toBe(before);
    expect((await stored(id)).epsilon).toBe(3n * E18);
  });
});

describe("tributary dataset deactivate and transfer", () => {
  it("deactivates for good: a second deactivation or an update is refused", async () => {
    const { id, owner } = await enrolled();
    const result = await dataset("deactivate", id);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(new RegExp(`^deactivate dataset ${id} for good: transaction 0x[0-9a-f]{64}$`, "m"));
    expect(result.stdout).toMatch(/^ {2}active +no \(deactivated for good\)$/m);
    expect((await stored(id)).active).toBe(false);
    const before = await nonce(owner);
    for (const again of [await dataset("deactivate", id), await dataset("update", id, "--epsilon", "1")]) {
      expect(again.code).toBe(1);
      expect(again.stderr).toBe(`tributary: dataset ${id} is deactivated: it can no longer be changed or join jobs\n`);
    }
    expect(await nonce(owner)).toBe(before);
  });

  it("transfers to another owner, after which the old key is refused and the new one may change it", async () => {
    const { id, owner } = await enrolled();
    const next = await env.chain.fundedWallet();
    const result = await dataset("transfer", id, "--to", next.address, "--json");
    expect(result.code).toBe(0);
    expect(jsonLine(result.stdout)).toMatchObject({
      to: next.address.toLowerCase(),
      dataset: { owner: next.address.toLowerCase() },
    });
    expect((await stored(id)).owner).toBe(next.address);
    const refused = await dataset("transfer", id, "--to", owner.address);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`not by this key's ${owner.address.toLowerCase()}`);
    env.actAs(next);
    const self = await dataset("transfer", id, "--to", next.address);
    expect(self.code).toBe(2);
    expect(self.stderr).toMatch(/must be another, non-zero address/);
    expect((await dataset("deactivate", id)).code).toBe(0);
    const malformed = await dataset("transfer", id, "--to", "0x1234");
    expect(malformed.code).toBe(2);
    expect(malformed.stderr).toMatch(/dataset transfer options\.to: must be a 20-byte hex address/);
  });
});
