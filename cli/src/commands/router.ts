import { DEFAULT_ANNOUNCEMENT_RATE_LIMITS, startRouterService } from "@tributary/inference-router";
import { type Address, parseInput } from "@tributary/protocol";
import type { Command } from "commander";
import { z } from "zod";
import { withChain } from "../chain/chain-session.js";
import { addChainOptions, ChainOptionsShape, type CommandContext } from "../chain/command-options.js";
import { runCommand } from "../chain/run-command.js";
import { serviceLogger } from "../cli-env.js";
import { signalled } from "./signalled.js";

/** A router command's context: where deployments live, and (tests) what ends `serve` instead of a signal. */
export interface RouterCommandContext extends CommandContext {
  readonly stop?: Promise<void>;
  /** Told the router's URL once it listens (tests). */
  readonly onListening?: (url: string) => void;
}

const count = (max: number) => z.coerce.number().int().positive().max(max);

const ServeOptionsSchema = z.strictObject({
  ...ChainOptionsShape,
  host: z.string().min(1),
  port: z.coerce.number().int().min(0).max(65_535),
  healthIntervalMs: count(600_000),
  healthTimeoutMs: count(600_000),
  standingIntervalMs: count(3_600_000),
  attemptTimeoutMs: count(600_000),
  maxAnnouncementTtl: count(30 * 86_400),
  connections: count(4096),
  bodyLimit: count(1 << 30),
  announceRate: count(1_000_000),
  announceIpRate: count(1_000_000),
});

function runServe(raw: Record<string, unknown>, context: RouterCommandContext): Promise<void> {
  return runCommand(raw, async (out) => {
    const options = parseInput(ServeOptionsSchema, raw, "router serve options");
    await withChain(options, context, async (chain) => {
      const service = await startRouterService({
        chainId: chain.chainId,
        modelRegistry: await chain.contract("ModelRegistry"),
        staking: await chain.contract("Staking"),
        paymentChannels: (await chain.address("PaymentChannels")).toLowerCase() as Address,
        slashesFromBlock: (await chain.deployment()).deployment.startBlock,
        host: options.host,
        port: options.port,
        healthIntervalMs: options.healthIntervalMs,
        healthTimeoutMs: options.healthTimeoutMs,
        standingIntervalMs: options.standingIntervalMs,
        attemptTimeoutMs: options.attemptTimeoutMs,
        maxAnnouncementTtlS: options.maxAnnouncementTtl,
        connectionsPerProvider: options.connections,
        bodyLimit: options.bodyLimit,
        logger: serviceLogger("router"),
        announcementLimits: {
          perProvider: options.announceRate,
          perIp: options.announceIpRate,
          windowMs: DEFAULT_ANNOUNCEMENT_RATE_LIMITS.windowMs,
        },
      });
      out.say(
        `routing for chain ${chain.chainId} (ModelRegistry ${await chain.address("ModelRegistry")}) at ${service.url}: providers announce at ${service.url}/v1/announcements, buyers predict at ${service.url}/v1/models/<id>/predict; OpenAPI at ${service.url}/openapi.json; stop with Ctrl-C`,
      );
      context.onListening?.(service.url);
      await (context.stop ?? signalled());
      out.say("stopping: answering the requests in flight");
      await service.close();
      out.done({ action: "router serve", url: service.url });
    });
  });
}

/** `tributary router serve`: the task router between buyers and the providers of a model. */
export function registerRouterCommand(program: Command, context: RouterCommandContext = {}): void {
  const router = program
    .command("router")
    .description(
      "the task router: sends each paid request to the best provider of a model, and to another on a failure",
    );
  addChainOptions(
    router
      .command("serve")
      .description(
        "route buyers' requests to the providers that announce themselves (signed, checked against ModelRegistry and Staking, polled for health), by price, measured latency and reputation",
      ),
  )
    .option("--host <host>", "the address to listen on", "127.0.0.1")
    .option("--port <n>", "the port (0: any free port)", "8490")
    .option("--health-interval-ms <ms>", "how often each provider's /ready is polled", "1000")
    .option("--health-timeout-ms <ms>", "how long /ready may take before the provider counts as unhealthy", "1000")
    .option("--standing-interval-ms <ms>", "how often each provider's model, licence and stake are read again", "5000")
    .option("--attempt-timeout-ms <ms>", "how long a provider may take to answer before the next is tried", "10000")
    .option("--max-announcement-ttl <seconds>", "longest an announcement may be valid for", "3600")
    .option("--connections <n>", "connections kept open to each provider", "64")
    .option("--body-limit <bytes>", "largest request body", String(4 * 1024 * 1024))
    .option(
      "--announce-rate <n>",
      "announcements examined per provider a minute (those its signature is on); more are refused (429) before any chain read",
      String(DEFAULT_ANNOUNCEMENT_RATE_LIMITS.perProvider),
    )
    .option(
      "--announce-ip-rate <n>",
      "announcements examined per remote IP a minute; more are refused (429) before the body is read",
      String(DEFAULT_ANNOUNCEMENT_RATE_LIMITS.perIp),
    )
    .action((options: Record<string, unknown>) => runServe(options, context));
}
