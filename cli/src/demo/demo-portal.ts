import { access, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import type { Coordinator } from "@tributary/coordinator";
import type { DemoChain } from "./demo-chain.js";
import type { DemoOwner } from "./demo-owners.js";

/** The built web portal (`data-provider-portal/dist`), or undefined when it has not been built. */
export async function builtPortalDir(): Promise<string | undefined> {
  const manifest = createRequire(import.meta.url).resolve("@tributary/data-provider-portal/package.json");
  const dir = path.join(path.dirname(manifest), "dist");
  try {
    await access(path.join(dir, "index.html"));
    return dir;
  } catch {
    return undefined;
  }
}

/** The coordinator's `portal` configuration for the demo: its deployment's contracts and the development wallet. */
export function demoPortalConfig(dir: string, chain: DemoChain, runDir: string) {
  return {
    dir,
    contracts: { ...chain.deployment.contracts },
    devWalletFile: devWalletFile(runDir),
  };
}

function devWalletFile(runDir: string): string {
  return path.join(runDir, "dev-wallet.json");
}

/** What the development wallet's model buyer is funded with: 1,000 TRIB, for licences and channels. */
export const DEV_BUYER_TOKENS = 1_000n * 10n ** 18n;

/**
 * Writes the demo's accounts for the portal's DEVELOPMENT WALLET (served by the development coordinator only): the
 * researcher, each data owner, and a model buyer, a fresh account the researcher funds with ETH for gas and
 * `DEV_BUYER_TOKENS` TRIB, with their keys, so the portal works without a browser extension.
 */
export async function writeDevWallet(runDir: string, chain: DemoChain, owners: readonly DemoOwner[]): Promise<void> {
  const buyer = await chain.newAccount(DEV_BUYER_TOKENS);
  const accounts = [
    { label: "researcher", role: "researcher", privateKey: chain.researcher.privateKey },
    ...owners.map((owner, i) => ({ label: `data owner ${i + 1}`, role: "owner", privateKey: owner.wallet.privateKey })),
    { label: "model buyer", role: "buyer", privateKey: buyer.privateKey },
  ];
  await writeFile(devWalletFile(runDir), JSON.stringify({ rpcUrl: chain.rpcUrl, accounts }), { mode: 0o600 });
}

/** The portal's URL on a demo coordinator that serves it. */
export function portalUrl(coordinator: Coordinator): string | undefined {
  return coordinator.config.portal === undefined ? undefined : `${coordinator.url}/portal/`;
}
