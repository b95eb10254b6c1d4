import type { ScoringSpec } from "@tributary/protocol";
import type { ByzantineSpec } from "./byzantine-spec.js";
import type { DemoChainOptions } from "./demo-chain.js";
import type { MarketOptions } from "./demo-market.js";
import { DemoSession } from "./demo-session.js";
import type { DemoResult } from "./demo-session-options.js";
import type { DemoPartition } from "./demo-shards.js";

export interface DemoOptions {
  readonly clients: number;
  readonly rounds: number;
  readonly model: "mlp" | "cnn";
  readonly partition: DemoPartition;
  readonly strategy: string;
  readonly dpEpsilon?: number | undefined;
  readonly dataset: string;
  readonly dataDir: string;
  readonly port: number;
  readonly interactive: boolean;
  readonly localEpochs: number;
  readonly learningRate: number;
  readonly batchSize: number;
  /** Robustness testing: the first `count` trainer agents send attacked updates. */
  readonly byzantine?: ByzantineSpec | undefined;
  /** Records per clipped microbatch in DP-SGD (the trainer's default when omitted). */
  readonly microbatchSize?: number | undefined;
  /** Seconds a round waits for every trainer (default 600). */
  readonly roundTimeoutS?: number | undefined;
  /** The chain the marketplace runs on: a local chain started for the run, or an RPC endpoint. */
  readonly chain: DemoChainOptions;
  readonly scoring: ScoringSpec["method"];
  /** TRIB wei escrowed for the job. */
  readonly reward: bigint;
  /** TRIB wei each owner asks per round (its dataset's price on DatasetRegistry). */
  readonly pricePerRound: bigint;
  /** After the payouts: the final model listed, served, licensed and paid for per request (absent: skipped). */
  readonly market?: MarketOptions | undefined;
  /** Each owner publishes its dataset on Ocean Protocol; the researcher orders each before its job. */
  readonly ocean?: boolean | undefined;
  /** The job runs SecAgg+ (scored by examples): the coordinator sees only each round's sum. */
  readonly secureAggregation?: boolean | undefined;
}

/**
 * `npm start`: the whole marketplace on one machine. Partitions a real dataset among N data owners, starts the
 * chain (contracts deployed) and the coordinator on embedded defaults; each owner enrols its shard on chain as
 * `tributary dataset enrol` does (its manifest commitment, price per round and ε/δ budget) and starts its trainer
 * agent process; the researcher creates and funds the job on chain;
 * each round is shown as it trains; then the owners claim their payouts, the researcher reclaims the rest and the
 * ledger is verified against the chain; then, unless skipped, the final model goes to market (`runMarket`).
 * `durationS` counts from the start. The session is returned running.
 */
export async function runDemo(
  options: DemoOptions,
  write: (text: string) => void,
): Promise<{ result: DemoResult; session: DemoSession }> {
  const started = performance.now();
  const session = await DemoSession.start(
    {
      clients: options.clients,
      partition: options.partition,
      dataset: options.dataset,
      dataDir: options.dataDir,
      port: options.port,
      interactive: options.interactive,
      batchSize: options.batchSize,
      budgetEpsilon: options.dpEpsilon ?? 10,
      pricePerRound: options.pricePerRound,
      allowNonPrivate: options.dpEpsilon === undefined,
      byzantine: options.byzantine,
      microbatchSize: options.microbatchSize,
      evaluationsPerJob: options.rounds + 1,
      chain: options.chain,
      ocean: options.ocean,
    },
    write,
  );
  let result: DemoResult;
  try {
    result = await session.runJob(options);
  } catch (error) {
    await session.close();
    throw error;
  }
  result.durationS = Number(((performance.now() - started) / 1000).toFixed(1));
  return { result, session };
}
