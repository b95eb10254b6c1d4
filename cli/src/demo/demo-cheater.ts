import path from "node:path";
import { type RoutedPrediction, TaskSampler } from "@tributary/buyer";
import type { OptimisticVerifier } from "@tributary/contracts/typed";
import type { Wallet } from "ethers";
import { TaskBook } from "../buyer/task-book.js";
import { type TaskPolicy, type TaskTarget, taskFor } from "../buyer/verified-tasks.js";
import type { ChainSession } from "../chain/chain-session.js";
import { Output } from "../chain/output.js";
import { ensureSpend, formatToken, type TokenInfo } from "../chain/spend.js";
import { startServiceTaskResponder, type TaskResponder } from "../provider/task-responder.js";
import { statusName } from "../verification/verifier-tasks.js";
import { DemoChainError } from "./demo-chain.js";
import {
  type InferenceLoad,
  joinLoads,
  type LabelledRequest,
  type PaidPredictor,
  sendPaidRequests,
} from "./demo-inference-load.js";
import type { ListedModel } from "./demo-market-provider.js";
import type { DemoRoute } from "./demo-market-router.js";
import type { DemoVerifiers, RoleOutput } from "./demo-verifiers.js";

/** Verifiable requests sent between two passes of the challenger and the committee. */
export const CHEATER_BATCH = 12;
/** How often the providers' task responders read the chain, in milliseconds. */
const RESPONDER_INTERVAL_MS = 200;
/** How long the demo waits for the providers to submit a batch's tasks, or for the router to drop the cheater. */
const WAIT_MS = 30_000;

/** `--cheater`: a second provider that lies on a share of its tasks, and the buyer's task sampling rate. */
export interface CheaterOptions {
  /** The share (0–1] of verifiable answers the buyer turns into OptimisticVerifier tasks. */
  readonly taskRate: number;
  /** The share (0–1] of the tasks naming it the cheater submits a false response hash for. */
  readonly lieShare: number;
}

/** Answers per provider role. */
export interface RoleCounts {
  honest: number;
  cheater: number;
}

/** What the cheater scenario's requests did, before the router stopped choosing the cheater and after. */
export interface CheaterRun {
  readonly load: InferenceLoad;
  readonly before: RoleCounts;
  readonly after: RoleCounts;
  /** The tasks the buyer created, by the role of the provider they name. */
  readonly tasks: { readonly honest: readonly bigint[]; readonly cheater: readonly bigint[] };
  /** The cheater's tasks it submitted a false response hash for. */
  readonly lies: readonly bigint[];
  /** The disputes the challenger opened, and those the committee decided against the provider. */
  readonly disputed: readonly bigint[];
  readonly lost: readonly bigint[];
  /** Why the router stopped routing to the cheater (its standing check's refusal), or null if it did not. */
  readonly excluded: string | null;
  /** The buyer's task book (`model tasks`), to finalise the undisputed tasks after their window. */
  readonly book: TaskBook;
}

/**
 * The deliberately cheating provider's lie, wired into its task responder through the code-only test hook
 * (`testOnlyFalsifyResult`, which no flag reaches): of the tasks naming it, it falsifies a share `share` (the first,
 * then every 1/share-th: the n-th task, from 0, when ⌈(n + 1)·share⌉ > ⌈n·share⌉), recording each in `lies`.
 */
export function cheatingHook(share: number, lies: bigint[]): (taskId: bigint) => boolean {
  let seen = 0;
  return (taskId) => {
    const n = seen++;
    const lie = Math.ceil((n + 1) * share) > Math.ceil(n * share);
    if (lie) lies.push(taskId);
    return lie;
  };
}

/** Polls `done` every 200 ms until it holds; `DemoChainError` naming `what` after `WAIT_MS`. */
async function until(what: string, done: () => Promise<boolean>): Promise<void> {
  const started = Date.now();
  while (!(await done())) {
    if (Date.now() - started > WAIT_MS) throw new DemoChainError(`${what} did not happen within ${WAIT_MS / 1000}s`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** A provider of the scenario: its listing, running service, and role. */
interface Party {
  readonly role: keyof RoleCounts;
  readonly listed: ListedModel;
}

/**
 * The cheater scenario's requests: both providers run their task responders (`provider serve --submit-results`; the
 * cheater's lies on a share of its tasks); the buyer sends `requests` verifiable requests through the router, in
 * batches of `CHEATER_BATCH`, `concurrency` at a time, and turns a share `taskRate` of the answers into
 * OptimisticVerifier tasks (`model predict --verifiable --task-rate`, the task on the answering provider's listing);
 * once a batch's tasks are submitted, the challenger and the committee make a pass. When the cheater lost a dispute
 * (slashed, its listing deactivated once its locked stake fell below the minimum) the demo waits for the router's
 * standing check to drop it, and sends the rest of the requests.
 */
export async function runCheaterRequests(input: {
  readonly session: ChainSession;
  readonly honest: ListedModel;
  readonly cheater: ListedModel;
  readonly route: DemoRoute;
  readonly client: PaidPredictor<RoutedPrediction>;
  readonly buyer: Wallet;
  readonly token: TokenInfo;
  readonly pricePerExample: bigint;
  readonly examples: readonly LabelledRequest[];
  readonly requests: number;
  readonly concurrency: number;
  readonly taskRate: number;
  readonly lieShare: number;
  readonly verifiers: DemoVerifiers;
  readonly runDir: string;
  readonly out: RoleOutput;
}): Promise<CheaterRun> {
  const { session, buyer } = input;
  const quiet = Output.silent();
  const parties: Party[] = [
    { role: "honest", listed: input.honest },
    { role: "cheater", listed: input.cheater },
  ];
  const lies: bigint[] = [];
  const fromBlock = await session.provider.getBlockNumber();
  const responders: TaskResponder[] = [];
  for (const { role, listed } of parties) {
    responders.push(
      await startServiceTaskResponder(quiet, session, listed.wallet, listed.serving.service, {
        modelId: BigInt(listed.registered.modelId),
        stateDir: listed.stateDir,
        fromBlock,
        intervalMs: RESPONDER_INTERVAL_MS,
        testOnlyFalsifyResult: role === "cheater" ? cheatingHook(input.lieShare, lies) : undefined,
      }),
    );
  }
  try {
    const verifier = await session.contract("OptimisticVerifier", buyer);
    const book = await TaskBook.open(path.join(input.runDir, "buyer"), {
      chainId: session.chainId,
      verifier: await verifier.getAddress(),
      buyer: buyer.address,
    });
    // The buyer approves every task's payment at once (at most one per request, each the request's price).
    const budget = BigInt(input.requests) * input.pricePerExample;
    await ensureSpend(input.out("buyer"), {
      purpose: "OptimisticVerifier tasks",
      token: input.token,
      signer: buyer,
      spender: { name: "OptimisticVerifier", address: await verifier.getAddress() },
      amount: budget,
      approve: true,
    });
    const targets = new Map<string, { role: keyof RoleCounts; target: TaskTarget }>(
      parties.map(({ role, listed }) => [
        listed.wallet.address.toLowerCase(),
        {
          role,
          target: {
            out: quiet,
            book,
            buyer,
            verifier,
            modelId: BigInt(listed.registered.modelId),
            listingProvider: listed.wallet.address,
            token: input.token,
          },
        },
      ]),
    );
    const scenario = new Scenario(input, verifier, targets, {
      sampler: new TaskSampler(input.taskRate),
      approve: false,
    });
    return await scenario.run(book, lies);
  } finally {
    for (const responder of responders) await responder.stop();
  }
}

/** The scenario's batches and their bookkeeping. */
class Scenario {
  readonly tasks: { honest: bigint[]; cheater: bigint[] } = { honest: [], cheater: [] };
  readonly disputed: bigint[] = [];
  readonly lost: bigint[] = [];
  sent = 0;

  constructor(
    private readonly input: Parameters<typeof runCheaterRequests>[0],
    private readonly verifier: OptimisticVerifier,
    private readonly targets: Map<string, { role: keyof RoleCounts; target: TaskTarget }>,
    private readonly policy: TaskPolicy,
  ) {}

  async run(book: TaskBook, lies: bigint[]): Promise<CheaterRun> {
    const { input } = this;
    const before: RoleCounts = { honest: 0, cheater: 0 };
    const after: RoleCounts = { honest: 0, cheater: 0 };
    let load: InferenceLoad = { requests: 0, correct: 0, retried: 0, latenciesMs: [] };
    input
      .out("buyer")
      .say(
        `sending verifiable requests through the router in batches of ${CHEATER_BATCH}, ${input.concurrency} at a time; ${percent(input.taskRate)} of the answers, drawn at random after each, become OptimisticVerifier tasks (payment ${formatToken(input.pricePerExample, input.token)} each); the challenger and the committee re-execute after each batch`,
      );
    while (this.lost.length === 0 && this.sent < input.requests) {
      load = joinLoads(load, await this.batch(Math.min(CHEATER_BATCH, input.requests - this.sent), before, lies));
    }
    let excluded: string | null = null;
    if (this.lost.length > 0) {
      excluded = await this.awaitExclusion();
      const rest = input.requests - this.sent;
      if (rest > 0) {
        input.out("buyer").say(`sending the other ${rest} verifiable requests, the cheater excluded`);
        load = joinLoads(load, await this.batch(rest, after, lies));
      }
    }
    return { load, before, after, tasks: this.tasks, lies, disputed: this.disputed, lost: this.lost, excluded, book };
  }

  /** One batch: the requests, their tasks, their submission, and one pass of the challenger and the committee. */
  async batch(count: number, counts: RoleCounts, lies: readonly bigint[]): Promise<InferenceLoad> {
    const { input } = this;
    const answers: RoutedPrediction[] = [];
    const load = await sendPaidRequests({
      client: input.client,
      examples: input.examples,
      first: this.sent,
      requests: count,
      concurrency: input.concurrency,
      onAnswer: (answer) => answers.push(answer),
    });
    this.sent += count;
    const created: { taskId: bigint; role: keyof RoleCounts }[] = [];
    for (const answer of answers) {
      const party = this.targets.get(answer.provider);
      if (party === undefined)
        throw new DemoChainError(`an answer came from ${answer.provider}, no provider of this demo`);
      counts[party.role] += 1;
      const decision = await taskFor(party.target, this.policy, answer);
      if ("taskId" in decision) {
        const taskId = BigInt(decision.taskId);
        created.push({ taskId, role: party.role });
        this.tasks[party.role].push(taskId);
      }
    }
    await until("the providers' submissions of the batch's tasks", async () => {
      for (const { taskId } of created)
        if (statusName((await this.verifier.getTask(taskId)).status) === "Requested") return false;
      return true;
    });
    const answeredBy = (role: keyof RoleCounts) =>
      answers.filter((answer) => this.targets.get(answer.provider)?.role === role).length;
    const cheats = created
      .filter(({ role }) => role === "cheater")
      .map(({ taskId }) => `${taskId}${lies.includes(taskId) ? " (a FALSE hash)" : ""}`);
    const ids = created.length === 0 ? "" : ` ${created[0]?.taskId}–${created.at(-1)?.taskId}`;
    input
      .out("buyer")
      .say(
        `requests ${this.sent - count + 1}–${this.sent}: answered by the honest provider ${answeredBy("honest")}, by the cheater ${answeredBy("cheater")}; ${created.length} tasks${ids} submitted${cheats.length === 0 ? "" : `, the cheater's: ${cheats.join(", ")}`}`,
      );
    await this.verify();
    return load;
  }

  /** One pass of the challenger and the committee, reported; a dispute the provider lost is recorded. */
  async verify(): Promise<void> {
    const { input } = this;
    const pass = await input.verifiers.pass();
    const agreed = pass.checked.filter((c) => c.verdict === "agrees").length;
    const disputes = pass.checked.filter((c) => c.action === "disputed");
    const problems = pass.checked.filter((c) => c.action === "refused" || c.verdict === "unavailable");
    input
      .out("challenger")
      .say(
        `re-executed ${pass.checked.length} submitted result(s): ${agreed} agree, ${disputes.length} disputed${problems.length === 0 ? "" : `, ${problems.length} not checked or refused (${problems.map((p) => p.error?.message ?? p.reason).join("; ")})`}`,
      );
    for (const dispute of disputes) {
      this.disputed.push(dispute.taskId);
      input
        .out("challenger")
        .say(
          `task ${dispute.taskId}: the provider submitted ${dispute.responseHash}, re-execution gives ${dispute.recomputed}: disputed with the bond (tx ${dispute.transaction})`,
        );
    }
    for (const taskId of new Set(pass.votes.filter((v) => v.action === "voted").map((v) => v.taskId))) {
      const votes = pass.votes.filter((v) => v.taskId === taskId && v.action === "voted");
      const task = await this.verifier.getTask(taskId);
      const lost = task.outcome === 3n;
      if (lost) this.lost.push(taskId);
      input
        .out("committee")
        .say(
          `task ${taskId}: ${votes.length} members re-executed it and voted the provider ${votes.every((v) => v.providerCorrect === false) ? "wrong" : "right"}; ${lost ? "the challenger won: the provider is slashed" : `the task is ${statusName(task.status)}`}`,
        );
    }
  }

  /** Waits until the router's standing check refuses the cheater; returns its reason, or null if it still stands. */
  async awaitExclusion(): Promise<string | null> {
    const { input } = this;
    const cheater = input.cheater.wallet.address.toLowerCase();
    const model = await (await input.session.contract("ModelRegistry")).getModel(input.cheater.registered.modelId);
    if (model.active) {
      input
        .out("router")
        .say(
          `the cheater's listing is still active (its locked stake is above the minimum): it stays routable, with its reputation ${model.reputationScore}`,
        );
      return null;
    }
    let reason: string | null = null;
    await until("the router's exclusion of the cheater", async () => {
      const entry = input.route.router.table.all().find((e) => e.provider === cheater);
      reason = entry?.refusal ?? null;
      return reason !== null;
    });
    input.out("router").say(`its standing check excluded the cheater ${cheater}: ${reason}`);
    return reason;
  }
}

const percent = (share: number) => `${Number((share * 100).toFixed(2))}%`;
