import path from "node:path";
import type { OptimisticVerifier } from "@tributary/contracts/typed";
import type { ProviderService, RequestLog } from "@tributary/inference-provider";
import { type Bytes32, parseVerifierEvent, type VerifierEventArgs } from "@tributary/protocol";
import { getBytes, hexlify, type Wallet } from "ethers";
import type { ChainSession } from "../chain/chain-session.js";
import type { Output } from "../chain/output.js";
import { RefusedError } from "../chain/run-command.js";
import { sendAndWait } from "../chain/transactions.js";
import { EventScanner } from "../verification/event-scanner.js";
import { chainTime, statusName } from "../verification/verifier-tasks.js";

/** What the provider did about one task naming it: submitted, or why not. */
export interface TaskResponse {
  readonly taskId: bigint;
  readonly inputHash: Bytes32;
  readonly outcome: "submitted" | "unknown-input" | "too-late" | "not-open" | "other-model" | "refused";
  readonly responseHash?: Bytes32;
  readonly transaction?: string;
  readonly reason?: string;
}

export interface TaskResponderOptions {
  readonly out: Output;
  readonly chain: ChainSession;
  /** OptimisticVerifier, sending from the provider's key. */
  readonly verifier: OptimisticVerifier;
  /** The provider's address: tasks are found by it (`TaskCreated`'s indexed provider). */
  readonly provider: string;
  /** The model served: tasks of other models of the provider are left to their own responders. */
  readonly modelId: bigint;
  /** The verifiable requests the provider answered (the provider service's). */
  readonly requests: RequestLog;
  /** The first block read when `cursorFile` says nothing later. */
  readonly fromBlock: number;
  /** Where the block scanned up to is kept across restarts. */
  readonly cursorFile: string;
  readonly intervalMs: number;
  /**
   * TEST ONLY, set in code, never from the command line: tasks for which this returns true get a falsified response
   * hash (the honest one with its last bit flipped), so a test can watch a lying provider be disputed and slashed.
   */
  readonly testOnlyFalsifyResult?: (taskId: bigint) => boolean;
}

/** The hash with its last bit flipped: what the test-only falsification submits. */
function falsified(hash: Bytes32): Bytes32 {
  const bytes = getBytes(hash);
  bytes[31] = (bytes[31] as number) ^ 1;
  return hexlify(bytes) as Bytes32;
}

/**
 * The provider's task responder (`provider serve --submit-results`): watches OptimisticVerifier's `TaskCreated` for
 * tasks naming this provider and model, in chunked log queries from a start block (a cursor kept on disk, so never
 * from genesis again), looks each task's `inputHash` up in the provider's request log, publishes that request (its
 * input is public once a task names it, for challengers) and submits the logged response's hash before the response
 * deadline. An input it never answered is not submitted (the requester cancels after the timeout); the log says why.
 */
export class TaskResponder {
  readonly responses: TaskResponse[] = [];
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> = Promise.resolve();
  #stopped = false;

  private constructor(
    private readonly options: TaskResponderOptions,
    private readonly scanner: EventScanner<Record<string, unknown>>,
  ) {}

  /** Opens the cursor and starts watching (a first pass at once, then every `intervalMs`). */
  static async start(options: TaskResponderOptions): Promise<TaskResponder> {
    const { verifier, provider } = options;
    const filter = verifier.filters.TaskCreated(undefined, undefined, provider);
    const query = async (from: number, to: number) =>
      (await verifier.queryFilter(filter, from, to)).map(({ args }) => ({
        taskId: args.taskId,
        requester: args.requester,
        provider: args.provider,
        modelId: args.modelId,
        inputHash: args.inputHash,
        paymentToken: args.paymentToken,
        payment: args.payment,
        responseDeadline: args.responseDeadline,
      }));
    const scanner = await EventScanner.open(query, { fromBlock: options.fromBlock, file: options.cursorFile });
    options.out.say(
      `task responder: submitting results of model ${options.modelId}'s tasks naming ${provider} on OptimisticVerifier, from block ${scanner.next}`,
    );
    const responder = new TaskResponder(options, scanner);
    responder.#schedule(0);
    return responder;
  }

  /** One pass now (after any pass running); resolves when it is done. */
  pass(): Promise<void> {
    this.#running = this.#running.then(() => this.#pass());
    return this.#running;
  }

  /** Stops watching once the pass running (if any) is done. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#running;
  }

  #schedule(delayMs: number): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => {
      void this.pass().finally(() => this.#schedule(this.options.intervalMs));
    }, delayMs);
  }

  async #pass(): Promise<void> {
    const { chain, out } = this.options;
    try {
      const head = await chain.provider.getBlockNumber();
      await this.scanner.scan(head, async (logs) => {
        for (const log of logs) {
          const task = parseVerifierEvent("TaskCreated", log);
          const response = await this.#respond(task);
          this.responses.push(response);
          out.say(
            `task ${response.taskId}: ${response.outcome}${response.responseHash === undefined ? "" : ` ${response.responseHash}`}${response.reason === undefined ? "" : ` (${response.reason})`}`,
          );
        }
      });
    } catch (error) {
      out.say(`task responder: ${(error as Error).message}; trying again in ${this.options.intervalMs} ms`);
    }
  }

  async #respond(created: VerifierEventArgs<"TaskCreated">): Promise<TaskResponse> {
    const { verifier, requests, modelId } = this.options;
    const { taskId, inputHash } = created;
    if (created.modelId !== modelId) {
      return { taskId, inputHash, outcome: "other-model", reason: `a task of model ${created.modelId}` };
    }
    const task = await verifier.getTask(taskId);
    const status = statusName(task.status);
    if (status !== "Requested") return { taskId, inputHash, outcome: "not-open", reason: `the task is ${status}` };
    const logged = await requests.get(inputHash);
    if (logged === undefined) {
      return {
        taskId,
        inputHash,
        outcome: "unknown-input",
        reason:
          "this provider answered no verifiable request with this hash (or no longer keeps it): not submitting; the requester can cancel after the response deadline",
      };
    }
    if ((await chainTime(this.options.chain)) > task.deadline) {
      return { taskId, inputHash, outcome: "too-late", reason: `its response deadline ${task.deadline} has passed` };
    }
    await requests.publish(inputHash);
    const responseHash =
      this.options.testOnlyFalsifyResult?.(taskId) === true ? falsified(logged.responseHash) : logged.responseHash;
    try {
      const mined = await sendAndWait(this.options.out, {
        description: `submit task ${taskId}'s response ${responseHash}`,
        call: "OptimisticVerifier.submitResult",
        send: () => verifier.submitResult(taskId, responseHash),
      });
      return { taskId, inputHash, outcome: "submitted", responseHash, transaction: mined.hash };
    } catch (error) {
      if (!(error instanceof RefusedError)) throw error;
      return { taskId, inputHash, outcome: "refused", responseHash, reason: error.message };
    }
  }
}

/**
 * `provider serve --submit-results`: the task responder of `wallet`'s running `service` for model `modelId`, on the
 * service's request log, reading from `fromBlock` (default the deployment's start), its cursor in `stateDir`
 * (`tasks-<chainId>-<verifier>-<provider>.json`).
 */
export async function startServiceTaskResponder(
  out: Output,
  chain: ChainSession,
  wallet: Wallet,
  service: ProviderService,
  options: {
    readonly modelId: bigint;
    readonly stateDir: string;
    readonly fromBlock?: number | undefined;
    readonly intervalMs: number;
    readonly testOnlyFalsifyResult?: ((taskId: bigint) => boolean) | undefined;
  },
): Promise<TaskResponder> {
  const verifierAddress = (await chain.address("OptimisticVerifier")).toLowerCase();
  const provider = wallet.address.toLowerCase();
  const { deployment } = await chain.deployment();
  return TaskResponder.start({
    out,
    chain,
    verifier: await chain.contract("OptimisticVerifier", wallet),
    provider,
    modelId: options.modelId,
    requests: service.requests,
    fromBlock: options.fromBlock ?? deployment.startBlock,
    cursorFile: path.join(options.stateDir, `tasks-${chain.chainId}-${verifierAddress}-${provider}.json`),
    intervalMs: options.intervalMs,
    ...(options.testOnlyFalsifyResult === undefined ? {} : { testOnlyFalsifyResult: options.testOnlyFalsifyResult }),
  });
}
