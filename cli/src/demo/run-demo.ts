import type { Coordinator } from "@tributary/coordinator";
import type { ByzantineSpec } from "./byzantine-spec.js";
import { type DemoPartition, type DemoResult, DemoSession } from "./demo-session.js";
import type { TrainerProcess } from "./trainer-processes.js";

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
  readonly exit: boolean;
  readonly json: boolean;
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
}

/**
 * `npm start`: the whole federated flow on one machine. Partitions a real dataset among N data owners, starts
 * the coordinator on embedded defaults, enrols each shard (its manifest commitment), starts one trainer agent
 * process per owner, launches a job and shows each round as it trains. `durationS` counts from the start.
 */
export async function runDemo(
  options: DemoOptions,
  write: (text: string) => void,
): Promise<{ result: DemoResult; coordinator: Coordinator; trainers: TrainerProcess[] }> {
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
      allowNonPrivate: options.dpEpsilon === undefined,
      byzantine: options.byzantine,
      microbatchSize: options.microbatchSize,
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
  return { result, coordinator: session.coordinator, trainers: session.trainers };
}
