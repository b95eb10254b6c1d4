import { homedir } from "node:os";
import path from "node:path";
import { VoucherStore } from "@tributary/inference-provider";
import { BACKEND_PREFERENCE } from "@tributary/model-runtime";
import { parseInput, Uint256Schema } from "@tributary/protocol";
import type { Command } from "commander";
import { z } from "zod";
import { type ChainSession, withChain } from "../chain/chain-session.js";
import { addChainOptions, ChainOptionsShape, type CommandContext } from "../chain/command-options.js";
import { runCommand } from "../chain/run-command.js";
import { addKeyOption, KeyOptionsShape, walletFor } from "../chain/wallet-options.js";
import { serviceLogger } from "../cli-env.js";
import { type Redemption, redeemVouchers } from "../provider/redeem-vouchers.js";
import { RouterAnnouncer } from "../provider/router-announcer.js";
import { SERVE_DEFAULTS, serveRegisteredModel } from "../provider/serve-registered-model.js";
import { startServiceTaskResponder } from "../provider/task-responder.js";
import { signalled } from "./signalled.js";

/** A provider command's context: where deployments live, and (tests) what ends `serve` instead of a signal. */
export interface ProviderCommandContext extends CommandContext {
  readonly stop?: Promise<void>;
  /** TEST ONLY (no flag sets it): the task responder's falsification hook (`TaskResponderOptions`). */
  readonly testOnlyFalsifyResult?: (taskId: bigint) => boolean;
}

const DEFAULT_STATE_DIR = path.join(homedir(), ".tributary", "provider");
const count = (max: number) => z.coerce.number().int().positive().max(max);

const ServeOptionsSchema = z.strictObject({
  ...ChainOptionsShape,
  ...KeyOptionsShape,
  model: Uint256Schema,
  modelDir: z.string().min(1),
  host: z.string().min(1),
  port: z.coerce.number().int().min(0).max(65_535),
  maxBatch: count(4096),
  maxWaitMs: z.coerce.number().min(0).max(600_000),
  maxExamples: count(4096),
  bodyLimit: count(1 << 30),
  stateDir: z.string().min(1),
  backend: z.enum(["auto", ...BACKEND_PREFERENCE]),
  channelTtlMs: z.coerce.number().int().min(0).max(3_600_000),
  expiryMargin: z.coerce.number().int().min(0),
  corsOrigin: z.array(z.url({ message: "must be an origin, e.g. http://127.0.0.1:8080" })).default([]),
  redeemOnExit: z.boolean(),
  router: z.url({ message: "must be the router's URL, e.g. http://127.0.0.1:8490" }).optional(),
  publicUrl: z.url({ message: "must be the URL the router reaches this provider at" }).optional(),
  announceTtl: z.coerce
    .number()
    .int()
    .min(10)
    .max(30 * 86_400),
  submitResults: z.boolean().default(false),
  tasksFromBlock: z.coerce.number().int().nonnegative().optional(),
  tasksIntervalMs: z.coerce.number().int().min(100).max(3_600_000),
});

const RedeemOptionsSchema = z.strictObject({
  ...ChainOptionsShape,
  ...KeyOptionsShape,
  stateDir: z.string().min(1),
  channel: Uint256Schema.optional(),
});

function redemptionRows(redemptions: readonly Redemption[]): string[][] {
  return redemptions.map((r) => [`channel ${r.channelId}`, String(r.amount), r.outcome, `received ${r.received}`]);
}

async function openStore(chain: ChainSession, stateDir: string, provider: string): Promise<VoucherStore> {
  const contract = (await chain.address("PaymentChannels")).toLowerCase();
  return VoucherStore.open(stateDir, { chainId: chain.chainId, contract, provider: provider.toLowerCase() });
}

function runServe(raw: Record<string, unknown>, context: ProviderCommandContext): Promise<void> {
  return runCommand(raw, async (out) => {
    const options = parseInput(ServeOptionsSchema, raw, "provider serve options");
    const wallet = await walletFor("provider", options, out);
    await withChain(options, context, async (chain) => {
      const modelId = BigInt(options.model);
      const { service, model, backend } = await serveRegisteredModel(out, {
        chain,
        wallet,
        modelId,
        modelDir: options.modelDir,
        stateDir: options.stateDir,
        settings: {
          ...options,
          expiryMarginS: options.expiryMargin,
          corsOrigins: options.corsOrigin.map((url) => new URL(url).origin),
        },
        logger: serviceLogger("provider", [wallet.privateKey]),
      });
      out.say(
        `serving model ${modelId} (${model.modelHash}) at ${service.url} as ${wallet.address}, ${model.pricePerExample} per example; OpenAPI at ${service.url}/openapi.json; stop with Ctrl-C`,
      );
      const responder = options.submitResults
        ? await startServiceTaskResponder(out, chain, wallet, service, {
            modelId,
            stateDir: options.stateDir,
            fromBlock: options.tasksFromBlock,
            intervalMs: options.tasksIntervalMs,
            testOnlyFalsifyResult: context.testOnlyFalsifyResult,
          })
        : undefined;
      let announcer: RouterAnnouncer | undefined;
      if (options.router !== undefined) {
        try {
          announcer = await RouterAnnouncer.start(out, wallet, {
            router: options.router,
            deployment: { chainId: chain.chainId, modelRegistry: service.info.modelRegistry },
            modelId,
            endpoint: options.publicUrl ?? service.url,
            pricePerExample: model.pricePerExample,
            ttlS: options.announceTtl,
          });
        } catch (error) {
          await responder?.stop();
          await service.close();
          throw error;
        }
      }
      await (context.stop ?? signalled());
      announcer?.stop();
      await responder?.stop();
      out.say("stopping: answering the requests in flight");
      await service.close();
      const redemptions = options.redeemOnExit ? await redeemVouchers(out, chain, wallet, service.store) : [];
      out.table(redemptionRows(redemptions));
      out.done({
        action: "provider serve",
        modelId: options.model,
        url: service.url,
        backend: backend.name,
        redemptions,
        ...(responder === undefined ? {} : { tasks: responder.responses }),
      });
    });
  });
}

function runRedeem(raw: Record<string, unknown>, context: CommandContext): Promise<void> {
  return runCommand(raw, async (out) => {
    const options = parseInput(RedeemOptionsSchema, raw, "provider redeem options");
    const wallet = await walletFor("provider", options, out);
    await withChain(options, context, async (chain) => {
      const store = await openStore(chain, options.stateDir, wallet.address);
      const only = options.channel === undefined ? undefined : BigInt(options.channel);
      const redemptions = await redeemVouchers(out, chain, wallet, store, only);
      const received = redemptions.reduce((total, r) => total + r.received, 0n);
      out.say(
        redemptions.length === 0
          ? `nothing to redeem in ${store.file}`
          : `redeemed ${redemptions.filter((r) => r.outcome === "redeemed").length} channel(s), received ${received}:`,
      );
      out.table(redemptionRows(redemptions));
      out.done({ action: "provider redeem", received, redemptions });
    });
  });
}

/** `tributary provider serve|redeem`: serve a registered model for pay per request, and redeem its vouchers. */
export function registerProviderCommand(program: Command, context: ProviderCommandContext = {}): void {
  const provider = program
    .command("provider")
    .description("an inference provider: serve a registered model over HTTP, paid per request by channel vouchers");
  const signed = (command: Command) => addKeyOption(addChainOptions(command), "provider");
  const stateDir = (command: Command) =>
    command.option("--state-dir <dir>", "where the accepted vouchers are kept", DEFAULT_STATE_DIR);
  stateDir(
    signed(
      provider
        .command("serve")
        .description(
          "serve a ModelRegistry model (weights checked against its modelHash) with dynamic batching, signed receipts and voucher payment; redeems on exit",
        ),
    ),
  )
    .requiredOption("--model <id>", "the model's id on ModelRegistry")
    .requiredOption(
      "--model-dir <dir>",
      "its files: weights.f32 with job-spec.json (as `tributary job model` writes them) or model-metadata.json (as `tributary model download` writes them, for a licensee)",
    )
    .option("--host <host>", "the address to listen on", SERVE_DEFAULTS.host)
    .option("--port <n>", "the port (0: any free port)", String(SERVE_DEFAULTS.port))
    .option("--max-batch <n>", "most examples per model call", String(SERVE_DEFAULTS.maxBatch))
    .option("--max-wait-ms <ms>", "longest a request waits for its batch to fill", String(SERVE_DEFAULTS.maxWaitMs))
    .option("--max-examples <n>", "most examples per request (at most --max-batch)", String(SERVE_DEFAULTS.maxExamples))
    .option("--body-limit <bytes>", "largest request body", String(SERVE_DEFAULTS.bodyLimit))
    .option(
      "--backend <name>",
      `tfjs backend: auto (best available) or one of ${BACKEND_PREFERENCE.join(", ")}`,
      SERVE_DEFAULTS.backend,
    )
    .option(
      "--channel-ttl-ms <ms>",
      "how long a channel read from the chain is trusted",
      String(SERVE_DEFAULTS.channelTtlMs),
    )
    .option(
      "--expiry-margin <seconds>",
      "refuse a channel this close to its expiry",
      String(SERVE_DEFAULTS.expiryMarginS),
    )
    .option(
      "--cors-origin <origin...>",
      "browser origins whose pages may call this provider, e.g. the portal's coordinator (default: none)",
    )
    .option("--no-redeem-on-exit", "do not redeem the vouchers when stopping")
    .option(
      "--router <url>",
      "announce this provider to a task router (tributary router serve), renewed until it stops",
    )
    .option("--public-url <url>", "the URL the router reaches this provider at (default: where it listens)")
    .option("--announce-ttl <seconds>", "how long each announcement is valid; renewed after half", "600")
    .option(
      "--submit-results",
      "answer OptimisticVerifier tasks naming this provider and model: submit the response hash of each verifiable request a task names (its request then served at /v1/requests/<hash>)",
      false,
    )
    .option(
      "--tasks-from-block <n>",
      "with --submit-results: the first block read (default: the deployment's start, or where it stopped)",
    )
    .option("--tasks-interval-ms <ms>", "with --submit-results: how often the chain is read for new tasks", "2000")
    .action((options: Record<string, unknown>) => runServe(options, context));
  stateDir(signed(provider.command("redeem").description("redeem the highest voucher held on each channel, once")))
    .option("--channel <id>", "only this channel")
    .action((options: Record<string, unknown>) => runRedeem(options, context));
}
