import { access, mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { connectRpc } from "@tributary/auditor";
import { DEPLOYMENTS_DIR } from "@tributary/contracts/deployments";
import { AddressSchema, parseInput, TributaryError } from "@tributary/protocol";
import type { Command } from "commander";
import { formatEther } from "ethers";
import { z } from "zod";
import type { CommandContext } from "../chain/command-options.js";
import { RefusedError, runCommand } from "../chain/run-command.js";
import { addKeyOption, KeyOptionsShape, walletFor } from "../chain/wallet-options.js";
import { exitWithUsageCode } from "./exit-codes.js";

const DeployOptionsSchema = z.strictObject({
  rpc: z.url({ message: "must be the JSON-RPC URL of the chain, e.g. http://127.0.0.1:8545" }),
  out: z.string().min(1).optional(),
  attestationRegistrar: AddressSchema.optional(),
  json: z.boolean().default(false),
  ...KeyOptionsShape,
});

/** Where the deployment file goes: `--out`, else the default every chain command reads for this chain. */
function outFile(out: string | undefined, chainId: bigint, context: CommandContext): string {
  if (out !== undefined) return path.resolve(out);
  return fileURLToPath(new URL(`${chainId}.json`, context.deploymentsDir ?? DEPLOYMENTS_DIR));
}

/** Refuses before any gas is spent when the deployment file exists: another deployment's addresses would be lost. */
async function refuseExisting(file: string): Promise<void> {
  const exists = await access(file).then(
    () => true,
    () => false,
  );
  if (exists) {
    throw new TributaryError(
      "INVALID_INPUT",
      `${file} already exists: not overwriting a deployment file (move it away, or write elsewhere with --out)`,
    );
  }
}

/**
 * Writes the deployment file (never over an existing one). Should that fail after the contracts are on chain, the
 * error carries the whole deployment so its addresses are not lost.
 */
async function writeDeploymentFile(file: string, text: string): Promise<void> {
  try {
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, text, { flag: "wx" });
  } catch (error) {
    throw new TributaryError(
      "INVALID_INPUT",
      `${file}: ${(error as Error).message}; the contracts are deployed: ${text.replace(/\s+/g, " ")}`,
      { cause: error },
    );
  }
}

/**
 * `tributary deploy --rpc URL`: the deployer deploys and wires every Tributary contract on any EVM chain from its own
 * key (as `contracts/scripts/deploy.ts` does through `hardhat run`), every administrator role ending with the
 * timelock, and writes the deployment file everyone else's commands read the addresses from.
 */
function runDeploy(raw: Record<string, unknown>, context: CommandContext): Promise<void> {
  return runCommand(raw, async (out) => {
    const options = parseInput(DeployOptionsSchema, raw, "deploy options");
    const wallet = await walletFor("deployer", options, out);
    const provider = await connectRpc(options.rpc);
    let file: string;
    try {
      const { chainId } = await provider.getNetwork();
      file = outFile(options.out, chainId, context);
      await refuseExisting(file);
      const balance = await provider.getBalance(wallet.address);
      if (balance === 0n) {
        throw new RefusedError(
          "INSUFFICIENT_FUNDS",
          `${wallet.address} holds no ether on chain ${chainId} to pay for the deployment's gas`,
          { deployer: wallet.address, chainId: String(chainId) },
        );
      }
      out.say(
        `deploying Tributary on chain ${chainId} from ${wallet.address} (${formatEther(balance)} ETH): 11 contracts, the initial TRIB supply to the deployer, every administrator role to the timelock`,
      );
    } finally {
      provider.destroy();
    }
    if (options.attestationRegistrar !== undefined) {
      out.say(`AttestationRegistry's REGISTRAR_ROLE to ${options.attestationRegistrar} (the coordinator's account)`);
    }
    // Loaded only here: deploying pulls in Hardhat.
    const { deployOverRpc } = await import("@tributary/contracts/rpc-deploy");
    const { DEFAULT_DEPLOY_OPTIONS } = await import("@tributary/contracts/deploy");
    const registrar = options.attestationRegistrar;
    const deployment = await deployOverRpc({
      rpcUrl: options.rpc,
      privateKey: wallet.privateKey,
      options: { ...DEFAULT_DEPLOY_OPTIONS, ...(registrar === undefined ? {} : { attestationRegistrar: registrar }) },
    });
    await writeDeploymentFile(file, `${JSON.stringify(deployment, null, 2)}\n`);
    out.table(Object.entries(deployment.contracts));
    out.done({ action: "deploy", file, deployment }, [
      `wrote ${file}: chain ${deployment.chainId}, contracts from block ${deployment.startBlock}`,
      "every other person's commands need this file: pass it as --deployment FILE (or keep it as contracts/deployments/<chainId>.json)",
    ]);
  });
}

/** Adds `deploy` (the operator's): deploys the whole system on the chain behind `--rpc`. */
export function registerDeployCommand(program: Command, context: CommandContext = {}): void {
  addKeyOption(
    program
      .command("deploy")
      .description("deploy and wire every Tributary contract on a chain, and write its deployment file")
      .requiredOption("--rpc <url>", "JSON-RPC URL of the chain (any EVM chain; `npx hardhat node` for a local one)")
      .option("--out <file>", "where to write the deployment file (default: contracts/deployments/<chainId>.json)")
      .option(
        "--attestation-registrar <address>",
        "grant AttestationRegistry's REGISTRAR_ROLE to this account (the coordinator's sender, which records the attested enclave keys it verifies); later only governance grants it",
      )
      .option("--json", "print the result as one JSON line (the last line of stdout)", false)
      .exitOverride(exitWithUsageCode),
    "deployer",
  ).action((options: Record<string, unknown>) => runDeploy(options, context));
}
