import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { resolveConfig } from "../config/coordinator-config.js";
import { type Coordinator, createCoordinator } from "../create-coordinator.js";

let dir: string;
let coordinator: Coordinator;
const KEY = `0x${"11".repeat(32)}`;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "tributary-serve-portal-"));
  await mkdir(path.join(dir, "dist/assets"), { recursive: true });
  await writeFile(path.join(dir, "dist/index.html"), "<!doctype html><title>shell</title>");
  await writeFile(path.join(dir, "dist/assets/app.js"), "console.log(1)");
  coordinator = await createCoordinator(
    {
      port: 0,
      dataDir: path.join(dir, "state"),
      portal: { dir: path.join(dir, "dist"), devWalletFile: path.join(dir, "dev-wallet.json") },
    },
    { logger: false },
  );
});
afterAll(async () => {
  await coordinator?.close();
  await rm(dir, { recursive: true, force: true });
});

const get = (route: string) => fetch(`${coordinator.url}${route}`);

describe("the coordinator serving the portal", () => {
  it("serves the build's files, and its shell for any other path under /portal/ (the app routes itself)", async () => {
    expect(await (await get("/portal/assets/app.js")).text()).toBe("console.log(1)");
    for (const route of ["/portal/", "/portal/auditor/jobs/3"]) {
      const response = await get(route);
      expect(response.status).toBe(200);
      expect(await response.text()).toBe("<!doctype html><title>shell</title>");
    }
    // The REST API is untouched: an unknown route outside /portal is still a 404.
    expect((await get("/no-such-route")).status).toBe(404);
  });

  it("tells the page its origin and chain, and the demo accounts only once the development file exists", async () => {
    const before = (await (await get("/portal/config.json")).json()) as Record<string, unknown>;
    expect(before).toMatchObject({ coordinatorUrl: coordinator.url, mode: "development", chainId: 31_337 });
    expect(before.devWallet).toBeUndefined();
    const devWallet = {
      rpcUrl: "http://127.0.0.1:8545",
      accounts: [{ label: "researcher", role: "researcher", privateKey: KEY }],
    };
    await writeFile(path.join(dir, "dev-wallet.json"), JSON.stringify(devWallet));
    const after = (await (await get("/portal/config.json")).json()) as Record<string, unknown>;
    expect(after.devWallet).toEqual(devWallet);
  });

  it("refuses a development wallet file in production: it would serve private keys", () => {
    expect(() =>
      resolveConfig({ mode: "production", portal: { dir: "dist", devWalletFile: "dev-wallet.json" } }),
    ).toThrow(/portal\.devWalletFile.*development mode only/);
  });
});
