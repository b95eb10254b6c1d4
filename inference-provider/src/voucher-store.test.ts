import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { VoucherStore } from "./voucher-store.js";

const IDENTITY = { chainId: 31337n, contract: `0x${"ab".repeat(20)}`, provider: `0x${"cd".repeat(20)}` };
let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "tributary-vouchers-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("VoucherStore", () => {
  it("keeps every change made before concurrent saves, and reads them back after a restart", async () => {
    const store = await VoucherStore.open(dir, IDENTITY);
    const saves: Promise<void>[] = [];
    for (let id = 1; id <= 20; id++) {
      store.accounts.set(String(id), {
        redeemable: BigInt(id * 9),
        signature: `0x${id}`,
        served: BigInt(id * 10),
        redeemed: 0n,
      });
      saves.push(store.save());
    }
    await Promise.all(saves);
    const reopened = await VoucherStore.open(dir, IDENTITY);
    expect(reopened.accounts.size).toBe(20);
    expect(reopened.accounts.get("20")).toEqual({ redeemable: 180n, signature: "0x20", served: 200n, redeemed: 0n });
    const json = JSON.parse(await readFile(store.file, "utf8"));
    expect(json.channels["7"]).toEqual({ redeemable: "63", signature: "0x7", served: "70", redeemed: "0" });
  });

  it("refuses a file of another provider or a corrupt one, naming the file", async () => {
    const store = await VoucherStore.open(dir, IDENTITY);
    await store.save();
    const text = (await readFile(store.file, "utf8")).replace(IDENTITY.provider, `0x${"ef".repeat(20)}`);
    await writeFile(store.file, text);
    await expect(VoucherStore.open(dir, IDENTITY)).rejects.toThrow(/holds another provider's or deployment's vouchers/);
    await writeFile(store.file, "{");
    await expect(VoucherStore.open(dir, IDENTITY)).rejects.toThrow(/is not JSON/);
  });
});
