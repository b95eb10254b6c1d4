import { readFile } from "node:fs/promises";
import { homedir } from "node:os";
import path from "node:path";
import {
  ChannelPayer,
  ProviderRefusedError,
  ReceiptMismatchError,
  RoutedInferenceClient,
  type RoutedPrediction,
} from "@tributary/buyer";
import { type Address, parseInput, RoutePreferenceSchema, TributaryError, Uint256Schema } from "@tributary/protocol";
import { z } from "zod";
import { type BuyerChannel, buyerChannels } from "../buyer/buyer-channels.js";
import { PayerStateFile } from "../buyer/payer-state-file.js";
import { withChain } from "../chain/chain-session.js";
import { ChainOptionsShape, type CommandContext } from "../chain/command-options.js";
import { RefusedError, runCommand } from "../chain/run-command.js";
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
});

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
 * is kept in `--state-dir` between runs.
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
      const channels = await buyerChannels(chain, buyer, model.paymentToken, options.channel);
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
      const predictions = await predictThroughRouter(
        options,
        modelId,
        model.modelHash,
        channels,
        payers,
        store,
        examples,
      );
      out.say(`model ${modelId} through ${options.router}: ${predictions.length} answer(s)`);
      out.table([
        ["request", "provider", "price", "predicted", "retried after"],
        ...predictions.map((p, index) => [
          String(index + 1),
          p.provider,
          p.receipt.price.toString(),
          p.outputs.map(argmax).join(","),
          p.attempts.map((a) => `${a.provider} ${a.outcome}`).join("; "),
        ]),
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
        predictions: predictions.map((p) => ({
          provider: p.provider,
          price: p.receipt.price,
          requestId: p.receipt.requestId,
          outputs: p.outputs,
          signature: p.signature,
          attempts: p.attempts,
        })),
        channels: payers.map((payer) => payer.spending()),
      });
    });
  });
}

async function predictThroughRouter(
  options: z.output<typeof PredictOptionsSchema>,
  modelId: bigint,
  modelHash: string,
  channels: readonly BuyerChannel[],
  payers: readonly ChannelPayer[],
  store: PayerStateFile,
  examples: readonly unknown[],
): Promise<RoutedPrediction[]> {
  try {
    const client = await RoutedInferenceClient.connect(options.router, modelId, {
      channels: channels.map((channel, index) => ({
        provider: channel.provider,
        payer: payers[index] as ChannelPayer,
      })),
      expect: { modelHash },
      choice: options.prefer === undefined ? {} : { prefer: options.prefer },
      persist: () => store.save(payers),
    });
    const predictions: RoutedPrediction[] = [];
    for (let index = 0; index < options.repeat; index++) predictions.push(await client.predict(examples));
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
