import { parseInput } from "@tributary/protocol";
import type { Command } from "commander";
import { formatEther } from "ethers";
import { z } from "zod";
import { withChain } from "../chain/chain-session.js";
import type { CommandContext } from "../chain/command-options.js";
import { runCommand } from "../chain/run-command.js";
import { addKeyOption, KeyOptionsShape, walletFor } from "../chain/wallet-options.js";
import { coordinatorEnv } from "../cli-env.js";
import { exitWithUsageCode } from "./exit-codes.js";

const CoordinatorOptionsSchema = z.strictObject({
  rpc: z.url({ message: "must be the JSON-RPC URL of the chain, e.g. http://127.0.0.1:8545" }),
  deployment: z.string().min(1).optional(),
  ...KeyOptionsShape,
  confirmations: z.coerce.number().int().min(0).max(1_000).default(2),
  mode: z.enum(["development", "production"]).default("production"),
  host: z.string().min(1).optional(),
  port: z.coerce.number().int().min(0).max(65_535).optional(),
  dataDir: z.string().min(1).optional(),
  publicOrigin: z
    .url({ protocol: /^https?$/, message: "must be the http(s) URL clients reach the coordinator at" })
    .optional(),
});

/** Resolves when the process is asked to stop (Ctrl-C, or SIGTERM from a supervisor). */
function stopRequested(): Promise<string> {
  return new Promise((resolve) => {
    process.once("SIGINT", () => resolve("SIGINT"));
    process.once("SIGTERM", () => resolve("SIGTERM"));
  });
}

/**
 * `tributary coordinator --rpc URL`: the operator's coordinator on a chain, as its own long-running process. The
 * contracts come from the deployment file, the sender key (the account every job it runs names) from `--keystore`
 * or TRIBUTARY_COORDINATOR_KEY; everything else from the coordinator's own environment variables (DATABASE_URL,
 * TRIBUTARY_DB_SCHEMA, …), exactly as `node coordinator/dist/main.js` reads them, with the flags laid over them.
 */
function runCoordinator(raw: Record<string, unknown>, context: CommandContext): Promise<void> {
  return runCommand(raw, async (out) => {
    const options = parseInput(CoordinatorOptionsSchema, raw, "coordinator options");
    const wallet = await walletFor("coordinator", options, out);
    const { deployment, balance } = await withChain(options, context, async (chain) => ({
      deployment: (await chain.deployment()).deployment,
      balance: await chain.provider.getBalance(wallet.address),
    }));
    // Loaded only here: the coordinator pulls in NestJS and its database drivers.
    const { configFromDeployment, configInputFromEnv, createCoordinator } = await import("@tributary/coordinator");
    const env = configInputFromEnv(coordinatorEnv());
    const fixed = configFromDeployment(deployment, options.rpc);
    const coordinator = await createCoordinator(
      {
        ...env,
        ...fixed,
        mode: options.mode,
        ...(options.host === undefined ? {} : { host: options.host }),
        ...(options.port === undefined ? {} : { port: options.port }),
        ...(options.dataDir === undefined ? {} : { dataDir: options.dataDir }),
        ...(options.publicOrigin === undefined ? {} : { publicOrigin: options.publicOrigin }),
        chain: {
          ...env.chain,
          ...fixed.chain,
          confirmations: options.confirmations,
          senderPrivateKey: wallet.privateKey,
        },
      },
      { logStream: "stderr" },
    );
    const { contracts, chainId } = deployment;
    out.say(
      `coordinator listening on ${coordinator.url} (docs: ${coordinator.url}/docs, database: ${coordinator.database}, mode: ${coordinator.config.mode})`,
    );
    out.say(
      `chain ${chainId} at ${options.rpc}: TrainingJobs ${contracts.TrainingJobs}, DatasetRegistry ${contracts.DatasetRegistry}, ${options.confirmations} confirmations`,
    );
    out.say(
      `coordinator account ${wallet.address.toLowerCase()} (${formatEther(balance)} ETH): jobs must name it; it pays the gas of every anchor and payout${balance === 0n ? " and holds no ether yet: fund it (tributary token transfer --ether)" : ""}`,
    );
    if (coordinator.config.mode === "development") {
      out.say("development mode: simulated TEE attestations are accepted (production refuses them)");
    }
    const signal = await stopRequested();
    await coordinator.close();
    out.done({ action: "coordinator", stoppedBy: signal }, [`coordinator stopped (${signal})`]);
  });
}

/** Adds `coordinator` (the operator's): runs a coordinator following the chain behind `--rpc`. */
export function registerCoordinatorCommand(program: Command, context: CommandContext = {}): void {
  addKeyOption(
    program
      .command("coordinator")
      .description(
        "run a coordinator on a chain: indexes datasets and jobs, runs the rounds, anchors them and posts the payouts",
      )
      .requiredOption("--rpc <url>", "JSON-RPC URL of the chain")
      .option(
        "--deployment <file>",
        "deployment file naming the contracts (default: contracts/deployments/<chainId>.json)",
      )
      .option(
        "--confirmations <n>",
        "blocks on top of a block before it is trusted (0 for a node that mines only on transactions)",
        "2",
      )
      .option(
        "--mode <development|production>",
        "production refuses simulated TEE attestations; development accepts them (no TEE on this machine)",
        "production",
      )
      .option("--host <host>", "interface to listen on (default TRIBUTARY_HOST or 127.0.0.1)")
      .option("--port <n>", "port to listen on (default TRIBUTARY_PORT or 8470; 0: any free port)")
      .option(
        "--public-origin <url>",
        "the URL others reach it at, which their sign-in messages name (default TRIBUTARY_PUBLIC_ORIGIN or http://HOST:PORT)",
      )
      .option(
        "--data-dir <dir>",
        "where blobs (and the embedded database without DATABASE_URL) live (default TRIBUTARY_DATA_DIR or .tributary)",
      )
      .exitOverride(exitWithUsageCode),
    "coordinator",
    " of the coordinator's sender account",
  ).action((options: Record<string, unknown>) => runCoordinator(options, context));
}
