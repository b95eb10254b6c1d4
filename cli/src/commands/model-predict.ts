import { readFile } from "node:fs/promises";
import { homedir } from "node:os";
import path from "node:path";
import {
  ChannelPayer,
  ProviderRefusedError,
  ReceiptMismatchError,
  type RequestStore,
  RoutedInferenceClient,
  type RoutedPrediction,
  TaskSampler,
} from "@tributary/buyer";
import { type Address, parseInput, RoutePreferenceSchema, TributaryError, Uint256Schema } from "@tributary/protocol";
import type { Wallet } from "ethers";
import { z } from "zod";
import { type BuyerChannel, buyerChannels } from "../buyer/buyer-channels.js";
import { DirectoryRequestStore } from "../buyer/directory-request-store.js";
import { PayerStateFile } from "../buyer/payer-state-file.js";
import { TaskBook } from "../buyer/task-book.js";
import { type TaskDecision, type TaskPolicy, type TaskTarget, taskFor } from "../buyer/verified-tasks.js";
import { type ChainSession, withChain } from "../chain/chain-session.js";
import { ChainOptionsShape, type CommandContext } from "../chain/command-options.js";
import type { Output } from "../chain/output.js";
import { RefusedError, runCommand } from "../chain/run-command.js";
import { parseTokenAmount, SpendOptionsShape, TokenAmountSchema, tokenInfo } from "../chain/spend.js";
import { KeyOptionsShape, walletFor } from "../chain/wallet-options.js";

/** Where a buyer keeps its channels' state between sessions by default. */
export const DEFAULT_BUYER_STATE_DIR = path.join(homedir(), ".tributary", "buyer");

const PredictOptionsSchema = z.strictObject({
  ...ChainOptionsShape,
  ...KeyOptionsShape,
  id: Uint256Schema,
  router: z.url({ message: "must be the router's URL, e.g. http://127.0.0.1:8490" }),
  input: z.string().min(1),
  channel: z
    .string()
    .regex(/^[0-9]+(,[0-9]+)*$/, "must be channel ids separated by commas")
    .transform((text) => text.split(",").map(BigInt))
    .optional(),
  prefer: RoutePreferenceSchema.optional(),
  repeat: z.coerce.number().int().positive().max(100_000),
  stateDir: z.string().min(1),
  verifiable: z.boolean().default(false),
  task: z.boolean().default(false),
  taskRate: z.coerce.number().min(0).max(1).default(0),
  taskPayment: TokenAmountSchema.optional(),
  requestsDir: z.string().min(1).optional(),
  ...SpendOptionsShape,
});
type PredictOptions = z.output<typeof PredictOptionsSchema>;

/** Where a buyer keeps its verifiable requests by default: `<state dir>/requests`. */
const requestsDirOf = (options: PredictOptions) => options.requestsDir ?? path.join(options.stateDir, "requests");

/** Whether tasks may be created (then every request is verifiable, and only the listing's provider is offered). */
const tasksWanted = (options: PredictOptions) => options.task || options.taskRate > 0;

/** The buyer's task book and policy when tasks may be created, with the model they are created on. */
async function taskSetup(
  out: Output,
  chain: ChainSession,
  wallet: Wallet,
  options: PredictOptions,
  model: { provider: string; paymentToken: string },
): Promise<{ target: TaskTarget; policy: TaskPolicy } | undefined> {
  if (!tasksWanted(options)) return undefined;
  const buyer = wallet.connect(chain.provider);
  const verifier = await chain.contract("OptimisticVerifier", buyer);
  const token = await tokenInfo(model.paymentToken, chain.provider);
  const book = await TaskBook.open(options.stateDir, {
    chainId: chain.chainId,
    verifier: await verifier.getAddress(),
    buyer: buyer.address,
  });
  const payment =
    options.taskPayment === undefined ? undefined : parseTokenAmount(options.taskPayment, token, "--task-payment");
  return {
    target: { out, book, buyer, verifier, modelId: BigInt(options.id), listingProvider: model.provider, token },
    policy: {
      sampler: new TaskSampler(options.taskRate),
      ...(options.task ? { choice: true } : {}),
      ...(payment === undefined ? {} : { payment }),
      approve: options.approve,
    },
  };
}

/** The examples of `--input`: a JSON array of examples, each nested to the model's input shape. */
const InputFileSchema = z.array(z.unknown()).min(1, "give at least one example");

async function readExamples(file: string): Promise<unknown[]> {
  let json: unknown;
  try {
    json = JSON.parse(await readFile(file, "utf8"));
  } catch (error) {
    throw new TributaryError("INVALID_INPUT", `--input ${file}: ${(error as Error).message}`);
  }
  return parseInput(InputFileSchema, json, `--input ${file}`);
}

/** The index of the largest output of each example (the predicted class of a classifier). */
const argmax = (outputs: readonly number[]) =>
  outputs.reduce((best, value, index) => (value > (outputs[best] ?? -Infinity) ? index : best), 0);

/**
 * `tributary model predict ID --router URL --input FILE`: the buyer's paid predictions through a task router. The
 * buyer's open channels in the model's token (`--channel`, else all of them) are offered to the router, one voucher
 * per provider, and only the provider that answers is paid; each answer's receipt is checked. The channels' state
 * is kept in `--state-dir` between runs. `--verifiable` asks for deterministic answers (their request bytes kept in
 * `--requests-dir` for challengers); `--task` (every answer) or `--task-rate R` (a random share) turns them into
 * OptimisticVerifier tasks, remembered in the buyer's task book (`model tasks --finalize` settles them).
 */
export function runPredict(raw: Record<string, unknown>, context: CommandContext): Promise<void> {
  return runCommand(raw, async (out) => {
    const options = parseInput(PredictOptionsSchema, raw, "model predict options");
    const wallet = await walletFor("buyer", options, out);
    const examples = await readExamples(options.input);
    await withChain(options, context, async (chain) => {
      const modelId = BigInt(options.id);
      const registry = await chain.contract("ModelRegistry");
      if (modelId === 0n || modelId > (await registry.modelCount())) {
        throw new RefusedError("MODEL_UNKNOWN", `ModelRegistry has no model ${modelId}`);
      }
      const model = await registry.getModel(modelId);
      const buyer = wallet.address.toLowerCase();
      const listing = model.provider.toLowerCase();
      const channels = (await buyerChannels(chain, buyer, model.paymentToken, options.channel)).filter(
        (channel) => !tasksWanted(options) || channel.provider === listing,
      );
      if (channels.length === 0) {
        throw new RefusedError(
          "NO_CHANNEL",
          `${buyer} has no open channel in the model's token: open one to a provider with tributary channel open --provider ADDRESS --deposit TOKENS`,
        );
      }
      const contract = (await chain.address("PaymentChannels")).toLowerCase() as Address;
      const deployment = { chainId: chain.chainId, contract };
      const store = await PayerStateFile.open(options.stateDir, { chainId: chain.chainId, contract, buyer });
      const payers = channels.map(
        (channel) =>
          new ChannelPayer(wallet, deployment, channel.channelId, store.state(channel.channelId, channel.paid)),
      );
      const tasks = await taskSetup(out, chain, wallet, options, {
        provider: listing,
        paymentToken: model.paymentToken,
      });
      const requests =
        options.verifiable || tasks !== undefined
          ? await DirectoryRequestStore.open(requestsDirOf(options))
          : undefined;
      const decisions: TaskDecision[] = [];
      const predictions = await predictThroughRouter(
        options,
        { modelId, modelHash: model.modelHash, channels, payers, store, requests },
        examples,
        async (prediction) => {
          if (tasks !== undefined) decisions.push(await taskFor(tasks.target, tasks.policy, prediction));
        },
      );
      out.say(`model ${modelId} through ${options.router}: ${predictions.length} answer(s)`);
      out.table([
        ["request", "provider", "price", "predicted", "task", "retried after"],
        ...predictions.map((p, index) => {
          const decision = decisions[index];
          return [
            String(index + 1),
            p.provider,
            p.receipt.price.toString(),
            p.outputs.map(argmax).join(","),
            decision === undefined ? "" : "taskId" in decision ? decision.taskId : "—",
            p.attempts.map((a) => `${a.provider} ${a.outcome}`).join("; "),
          ];
        }),
      ]);
      out.say("channels:");
      out.table(
        payers.map((payer) => {
          const s = payer.spending();
          return [`channel ${s.channelId}`, `served ${s.served}`, `answers ${s.requests}`, `uncertain ${s.uncertain}`];
        }),
      );
      out.done({
        action: "model predict",
        modelId: options.id,
        predictions: predictions.map((p, index) => ({
          provider: p.provider,
          price: p.receipt.price,
          requestId: p.receipt.requestId,
          outputs: p.outputs,
          signature: p.signature,
          attempts: p.attempts,
          ...(p.verified === undefined
            ? {}
            : { verified: { requestHash: p.verified.requestHash, responseHash: p.verified.responseHash } }),
          ...(decisions[index] === undefined ? {} : { task: decisions[index] }),
        })),
        ...(requests === undefined ? {} : { requestsDir: requests.dir }),
        channels: payers.map((payer) => payer.spending()),
      });
    });
  });
}

async function predictThroughRouter(
  options: PredictOptions,
  input: {
    readonly modelId: bigint;
    readonly modelHash: string;
    readonly channels: readonly BuyerChannel[];
    readonly payers: readonly ChannelPayer[];
    readonly store: PayerStateFile;
    readonly requests: RequestStore | undefined;
  },
  examples: readonly unknown[],
  after: (prediction: RoutedPrediction) => Promise<void>,
): Promise<RoutedPrediction[]> {
  const { modelId, modelHash, channels, payers, store, requests } = input;
  try {
    const client = await RoutedInferenceClient.connect(options.router, modelId, {
      channels: channels.map((channel, index) => ({
        provider: channel.provider,
        payer: payers[index] as ChannelPayer,
      })),
      expect: { modelHash },
      choice: options.prefer === undefined ? {} : { prefer: options.prefer },
      persist: () => store.save(payers),
      verifiable: options.verifiable || tasksWanted(options),
      ...(requests === undefined ? {} : { requests }),
    });
    const predictions: RoutedPrediction[] = [];
    for (let index = 0; index < options.repeat; index++) {
      const prediction = await client.predict(examples);
      predictions.push(prediction);
      await after(prediction);
    }
    return predictions;
  } catch (error) {
    // A router's or provider's refusal is an answer (exit 1), not a usage error.
    if (error instanceof ProviderRefusedError || error instanceof ReceiptMismatchError) {
      throw new RefusedError(error.code, error.message, error.details);
    }
    if (error instanceof TypeError && /fetch failed/.test(error.message)) {
      throw new RefusedError("ROUTER_UNREACHABLE", `router ${options.router} cannot be reached`);
    }
    throw error;
  }
}
