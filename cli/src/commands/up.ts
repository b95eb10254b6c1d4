import { parseInput, TributaryError } from "@tributary/protocol";
import type { Command } from "commander";
import { parseEther } from "ethers";
import { z } from "zod";
import { cliEnv, isInteractive } from "../cli-env.js";
import { ByzantineOptionSchema } from "../demo/byzantine-spec.js";
import type { DemoChainOptions } from "../demo/demo-chain.js";
import type { MarketOptions } from "../demo/demo-market.js";
import { portalUrl } from "../demo/demo-portal.js";
import { STRATEGY_NAMES } from "../demo/demo-strategy.js";
import { formatMarket, marketJson } from "../demo/market-summary.js";
import { formatOcean, oceanJson } from "../demo/ocean-summary.js";
import { formatSettlement, payoutsJson } from "../demo/payout-summary.js";
import { formatVerification, verificationJson } from "../demo/verification-summary.js";
import { EXIT } from "./exit-codes.js";

const PartitionSchema = z.union([
  z.literal("iid").transform(() => ({ kind: "iid" as const })),
  z
    .string()
    .regex(/^dirichlet:[0-9]*\.?[0-9]+$/, "must be iid or dirichlet:ALPHA, e.g. dirichlet:0.5")
    .transform((text) => ({ kind: "dirichlet" as const, alpha: Number(text.slice("dirichlet:".length)) }))
    .refine((partition) => partition.alpha > 0, "ALPHA must be positive"),
]);

/** An amount of TRIB as typed (`1000`, `0.5`), in wei. */
const TribSchema = z
  .string()
  .regex(/^[0-9]+(\.[0-9]{1,18})?$/, "must be an amount of TRIB, e.g. 1000 or 0.5")
  .transform((text) => parseEther(text));

const SCORING_METHODS = ["examples", "leave-one-out", "gtg-shapley"] as const;
/** Strategies that aggregate from the sum alone, the only ones secure aggregation allows. */
const SECAGG_STRATEGIES = new Set<string>(["fedavg", "fedavgm", "fedadagrad", "fedadam", "fedyogi"]);

const UpOptionsSchema = z
  .strictObject({
    clients: z.coerce.number().int().min(1).max(64),
    rounds: z.coerce.number().int().min(1).max(1000),
    model: z.enum(["mlp", "cnn"]),
    partition: PartitionSchema,
    strategy: z.enum(STRATEGY_NAMES),
    dpEpsilon: z.coerce.number().positive().max(100).optional(),
    dataset: z.string().min(1),
    dataDir: z.string().min(1),
    port: z.coerce.number().int().min(0).max(65_535),
    localEpochs: z.coerce.number().int().min(1).max(100),
    learningRate: z.coerce.number().positive().max(10),
    batchSize: z.coerce.number().int().min(1).max(4096),
    exit: z.boolean(),
    json: z.boolean(),
    byzantine: ByzantineOptionSchema.optional(),
    scoring: z.enum(SCORING_METHODS),
    reward: TribSchema.refine((wei) => wei > 0n, "must be positive"),
    pricePerRound: TribSchema,
    chainPort: z.coerce.number().int().min(0).max(65_535),
    rpc: z.url({ protocol: /^https?$/, message: "must be an http(s) JSON-RPC URL" }).optional(),
    deployment: z.string().min(1).optional(),
    confirmations: z.coerce.number().int().min(0).max(1000).optional(),
    market: z.boolean(),
    ocean: z.boolean(),
    licencePrice: TribSchema,
    requests: z.coerce.number().int().min(1).max(100_000),
    cheater: z.boolean(),
    secagg: z.boolean(),
    taskRate: z.coerce.number().gt(0, "must be above 0").max(1).optional(),
  })
  .refine((options) => options.byzantine === undefined || options.byzantine.count <= options.clients, {
    message: "--byzantine K must not exceed --clients",
    path: ["byzantine"],
  })
  .refine((options) => options.reward >= options.pricePerRound * BigInt(options.clients * options.rounds), {
    message:
      "--reward must cover what the owners ask: --clients × --rounds × --price-per-round (the owners' agents refuse a job that does not)",
    path: ["reward"],
    // Only once every amount parsed: a malformed one is reported as itself.
    when: (payload) => payload.issues.length === 0,
  })
  .refine((options) => options.rpc !== undefined || options.deployment === undefined, {
    message: "--deployment is for --rpc (the local chain deploys its own contracts)",
    path: ["deployment"],
  })
  .refine((options) => options.rpc !== undefined || options.confirmations === undefined, {
    message: "--confirmations is for --rpc (the local chain is trusted at its head)",
    path: ["confirmations"],
  })
  .refine((options) => !options.cheater || (options.rpc === undefined && options.market), {
    message:
      "--cheater runs in the market on the demo's own local chain (it appoints a committee and moves the clock past dispute windows): not with --rpc or --no-market",
    path: ["cheater"],
  })
  .refine((options) => !options.secagg || options.clients >= 3, {
    message: "--secagg needs --clients 3 or more (a threshold above half of at least 2 neighbours, below the trainers)",
    path: ["secagg"],
  })
  .refine((options) => !options.secagg || SECAGG_STRATEGIES.has(options.strategy), {
    message:
      "--secagg reveals only each round's sum: use a FedAvg-family --strategy (fedavg, fedavgm, fedadagrad, fedadam, fedyogi)",
    path: ["secagg"],
  })
  .refine((options) => !options.secagg || options.dpEpsilon === undefined, {
    message:
      "--secagg with --dp-epsilon is not offered by the demo yet: its default quantisation scale leaves no headroom in 32 bits for the distributed noise",
    path: ["secagg"],
  })
  .refine((options) => options.cheater || options.taskRate === undefined, {
    message: "--task-rate is for --cheater",
    path: ["taskRate"],
  });
type UpOptions = z.infer<typeof UpOptionsSchema>;

/** What the demo's provider asks per example served, in TRIB wei (0.001 TRIB). */
const PRICE_PER_EXAMPLE = parseEther("0.001");
/** Channels the demo's buyer opens to each provider: the paid requests it has in flight at once (one per channel). */
const CHANNELS = 4;
/** `--cheater`: the share of verifiable answers the buyer makes tasks by default, and of its tasks the cheater lies on. */
const TASK_RATE = 0.1;
const LIE_SHARE = 0.5;

function marketOptions(options: UpOptions): MarketOptions | undefined {
  if (!options.market) return undefined;
  return {
    requests: options.requests,
    channels: CHANNELS,
    licencePrice: options.licencePrice,
    pricePerExample: PRICE_PER_EXAMPLE,
    cheater: options.cheater ? { taskRate: options.taskRate ?? TASK_RATE, lieShare: LIE_SHARE } : undefined,
  };
}

/** The local chain by default; with `--rpc`, that chain with the researcher's (and coordinator's) keys from the environment. */
function chainOptions(options: UpOptions): DemoChainOptions {
  if (options.rpc === undefined) return { kind: "local", port: options.chainPort };
  const env = cliEnv();
  if (env.TRIBUTARY_RESEARCHER_KEY === undefined) {
    throw new TributaryError(
      "INVALID_INPUT",
      "--rpc needs TRIBUTARY_RESEARCHER_KEY: the private key of an account holding TRIB for the reward and ETH for gas (TRIBUTARY_COORDINATOR_KEY optionally names the coordinator's account)",
    );
  }
  return {
    kind: "rpc",
    rpcUrl: options.rpc,
    deploymentFile: options.deployment,
    researcherKey: env.TRIBUTARY_RESEARCHER_KEY,
    coordinatorKey: env.TRIBUTARY_COORDINATOR_KEY,
    confirmations: options.confirmations ?? 2,
  };
}

export function registerUpCommand(program: Command): void {
  program
    .command("up")
    .description(
      "run the whole marketplace on this machine: chain, coordinator, N data owners' trainer agents, one job paid out on chain, its model sold and served for pay",
    )
    .option("--clients <n>", "number of data owners (trainer agent processes)", "3")
    .option("--rounds <n>", "federated rounds", "5")
    .option("--model <mlp|cnn>", "MLP 784-200-200-10 or the FedAvg-paper CNN", "mlp")
    .option("--partition <iid|dirichlet:ALPHA>", "how the training data is split among owners", "iid")
    .option("--strategy <name>", `aggregation: ${STRATEGY_NAMES.join(", ")}`, "fedavg")
    .option("--dp-epsilon <e>", "train with DP-SGD to this ε per dataset (δ = 1e-5); omitted: no DP")
    .option(
      "--dataset <mnist|fashion-mnist|DIR>",
      "mnist (shipped), fashion-mnist (Debian package) or a directory of IDX files",
      "mnist",
    )
    .option("--data-dir <dir>", "where the coordinator keeps its database and models", ".tributary")
    .option("--port <n>", "coordinator port (0: any free port)", "8470")
    .option("--local-epochs <n>", "local epochs per round", "1")
    .option("--learning-rate <lr>", "local SGD learning rate", "0.05")
    .option("--batch-size <n>", "local batch size", "32")
    .option(
      "--scoring <method>",
      `how contributions are scored and paid: ${SCORING_METHODS.join(", ")} (the last two on the researcher's held-out set)`,
      "gtg-shapley",
    )
    .option("--reward <TRIB>", "reward the researcher escrows for the job", "1000")
    .option(
      "--price-per-round <TRIB>",
      "what each owner asks per round it trains (its dataset's price on DatasetRegistry), paid before the split by score",
      "1",
    )
    .option("--chain-port <n>", "port of the local chain's JSON-RPC endpoint on 127.0.0.1 (0: any free port)", "8545")
    .option(
      "--rpc <url>",
      "use this EVM chain instead of a local one (keys: TRIBUTARY_RESEARCHER_KEY, optional TRIBUTARY_COORDINATOR_KEY)",
    )
    .option("--deployment <file>", "with --rpc: the deployment file (default contracts/deployments/<chainId>.json)")
    .option("--confirmations <n>", "with --rpc: blocks the coordinator waits on top of a block (default 2)")
    .option(
      "--ocean",
      "publish each owner's dataset on Ocean Protocol (data NFT + compute datatoken, Ocean's contracts deployed on the local chain) and have the researcher order each before its job",
      false,
    )
    .option("--no-market", "skip the market after the payouts (listing, licence, paid requests, revenue claims)")
    .option("--licence-price <TRIB>", "the price of a licence to the trained model", "100")
    .option("--requests <n>", "paid inference requests the buyer sends (held-out records, 16 at a time)", "1000")
    .option(
      "--cheater",
      "verified inference: a second provider serves the model and lies on chain about half the tasks naming it; the buyer's requests are verifiable, a share become OptimisticVerifier tasks, a challenger disputes the lies, a committee votes, the cheater is slashed and the router stops choosing it",
      false,
    )
    .option(
      "--task-rate <r>",
      `with --cheater: the share (0–1] of answers the buyer makes tasks (default ${TASK_RATE})`,
    )
    .option(
      "--secagg",
      "secure aggregation (SecAgg+): the coordinator learns only each round's sum, never one owner's update; contributions are then scored by committed example counts (--scoring is ignored)",
      false,
    )
    .option("--exit", "stop everything when the job ends (default: keep the coordinator running)", false)
    .option("--json", "print the result as one JSON object on the last line", false)
    .option(
      "--byzantine <K:ATTACK>",
      "robustness testing: the first K trainers attack (sign-flip or scale-100), e.g. 2:sign-flip",
    )
    .action(async (raw: Record<string, unknown>) => {
      const options = parseInput(UpOptionsSchema, raw, "up options");
      // Loaded only here: the demo starts a coordinator in process (NestJS), which no other command needs.
      const { runDemo } = await import("../demo/run-demo.js");
      const write = (text: string) => process.stdout.write(text);
      const { result, session } = await runDemo(
        {
          ...options,
          interactive: isInteractive() && !options.json,
          chain: chainOptions(options),
          market: marketOptions(options),
          secureAggregation: options.secagg,
          ...(options.secagg ? { scoring: "examples" as const } : {}),
        },
        write,
      );
      const settlement = result.settlement;
      write(
        `\njob ${result.jobId} completed (whole run ${result.durationS}s): accuracy ${result.accuracy === null ? "n/a" : `${(result.accuracy * 100).toFixed(2)}%`}` +
          ` (federated evaluation on held-out data), loss ${result.loss?.toFixed(4) ?? "n/a"}, ε ${result.epsilonSpent?.toFixed(3) ?? "∞ (no DP)"},` +
          ` backend ${result.backend}, database ${result.database}` +
          `${result.byzantine === undefined ? "" : `, ${result.byzantine.count} Byzantine trainers (${result.byzantine.attack})`}\n`,
      );
      if (settlement !== undefined) write(formatSettlement(result.jobId, settlement));
      if (result.market !== undefined) write(formatMarket(result.market));
      const verification = result.market?.verification;
      if (verification !== undefined) write(formatVerification(verification));
      if (result.ocean !== undefined) write(formatOcean(result.ocean));
      const ledgerVerified = settlement?.ledger.ok ?? false;
      if (!ledgerVerified) process.exitCode = EXIT.finding;
      // The summary line has exactly the fields the quick start documents; per-round detail stays in the table.
      const { jobId, rounds, clients, accuracy, loss, epsilonSpent, backend, database, durationS } = result;
      const summary = {
        jobId,
        rounds,
        clients,
        accuracy,
        loss,
        epsilonSpent,
        backend,
        database,
        durationS,
        chainId: settlement?.chainId ?? null,
        ledgerVerified,
        payouts: settlement === undefined ? [] : payoutsJson(settlement),
        market: result.market === undefined ? null : marketJson(result.market),
        verification: verification === undefined ? null : verificationJson(verification),
        ocean: result.ocean === undefined ? null : oceanJson(result.ocean),
        ...(options.secagg ? { secureAggregation: true } : {}),
      };
      if (options.exit) {
        await session.close();
        if (options.json) write(`${JSON.stringify(summary)}\n`);
        return;
      }
      if (options.json) write(`${JSON.stringify(summary)}\n`);
      const coordinator = session.coordinator.url;
      const chain = session.chain;
      const portal = portalUrl(session.coordinator);
      write(
        `coordinator still running at ${coordinator} (docs ${coordinator}/docs)` +
          `${portal === undefined ? "" : `\nportal: open ${portal} in a browser (development wallet: the demo's accounts)`}` +
          `${chain === undefined ? "" : `, chain at ${chain.rpcUrl}; audit again with: npx tributary ledger verify --job ${jobId} --rpc ${chain.rpcUrl} --coordinator ${coordinator} --training-jobs ${chain.trainingJobs}`}` +
          `\nCtrl-C stops ${chain?.local === true ? "them, the chain" : "it"} and the trainers\n`,
      );
      await new Promise<void>((resolve) => {
        process.once("SIGINT", resolve);
        process.once("SIGTERM", resolve);
      });
      await session.close();
    });
}
