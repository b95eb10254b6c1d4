import { execFile } from "node:child_process";
import { access, mkdir } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import { type Browser, chromium, type Page } from "playwright-core";

const exec = promisify(execFile);
const root = path.resolve(import.meta.dirname, "../../..");

/** The built portal (`npm run build --workspace data-provider-portal`; the root `prepare` builds it). */
export const PORTAL_DIST = path.join(root, "data-provider-portal/dist");
/** Where the end-to-end tests save their screenshots (gitignored). */
export const ARTIFACTS = path.join(root, "data-provider-portal/e2e-artifacts");

/** Debian's chromium (`apt-get install -y chromium`, as .ci/run does); never a downloaded browser. */
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

/** Builds the portal when its dist is missing (a fresh checkout whose `prepare` has not run). */
export async function ensurePortalBuilt(): Promise<string> {
  try {
    await access(path.join(PORTAL_DIST, "index.html"));
  } catch {
    await exec("npm", ["run", "build", "--workspace", "data-provider-portal"], { cwd: root, timeout: 240_000 });
  }
  return PORTAL_DIST;
}

/** Headless Debian chromium, with the flags this machine's closed network needs. */
export async function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

/** Saves a full-page screenshot as a test artifact and prints its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  await mkdir(ARTIFACTS, { recursive: true });
  const file = path.join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  process.stdout.write(`portal screenshot: ${file}\n`);
  return file;
}

/** Connects the page's development wallet as demo account `label` and signs in with the coordinator. */
export async function connectDevAccount(page: Page, label: string, signIn = true): Promise<void> {
  await page.getByLabel("Demo account").selectOption(label);
  await page.getByTestId("connected-address").waitFor();
  if (signIn) {
    await page.getByRole("button", { name: "Sign in with Ethereum" }).click();
    await page.getByText("signed in", { exact: true }).waitFor();
  }
}
