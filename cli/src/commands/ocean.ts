import { readFile, writeFile } from "node:fs/promises";
import { checkOceanOrder, deployOcean, findOceanDataset, type OceanAddresses } from "@tributary/contracts/ocean";
import { AddressSchema, DatasetIdSchema, parseInput, TributaryError } from "@tributary/protocol";
import type { Command } from "commander";
import { z } from "zod";
import type { ChainSession } from "../chain/chain-session.js";
import { withChain } from "../chain/chain-session.js";
import { addChainOptions, ChainOptionsShape, type CommandContext } from "../chain/command-options.js";
import { runCommand } from "../chain/run-command.js";
import { addKeyOption, KeyOptionsShape, walletFor } from "../chain/wallet-options.js";

const base = { ...ChainOptionsShape, ...KeyOptionsShape };
const PublishOptionsSchema = z.strictObject({
  ...base,
  id: DatasetIdSchema,
  serviceEndpoint: z.url({ message: "must be the URL compute jobs on the dataset are submitted to" }),
  timeout: z.coerce
    .number()
    .int()
    .min(0)
    .max(10 * 365 * 86_400),
  name: z.string().min(1).max(200).optional(),
});
const OrderOptionsSchema = z.strictObject({ ...base, id: DatasetIdSchema });
const ShowOptionsSchema = z.strictObject({
  ...ChainOptionsShape,
  id: DatasetIdSchema,
  consumer: AddressSchema.optional(),
});
const DeployOptionsSchema = z.strictObject({ ...base, deployment: z.string().min(1) });

/** The deployment's Ocean contracts, or a usage error saying how to get them. */
async function oceanOf(chain: ChainSession): Promise<{ ocean: OceanAddresses; registry: string }> {
  const { deployment, from } = await chain.deployment();
  if (deployment.ocean === undefined) {
    throw new TributaryError(
      "OCEAN_UNKNOWN",
      `the deployment ${from} names no Ocean Protocol contracts: add Ocean's addresses for chain ${chain.chainId} under "ocean" (its address.json entry), or on a chain of your own run \`tributary ocean deploy\``,
    );
  }
  return { ocean: deployment.ocean, registry: deployment.contracts.DatasetRegistry };
}

/** `dataset ocean-publish ID`: the owner publishes its dataset as an Ocean data NFT with a compute datatoken. */
export function runOceanPublish(raw: Record<string, unknown>, context: CommandContext = {}): Promise<void> {
  return runCommand(raw, async (out) => {
    const options = parseInput(PublishOptionsSchema, raw, "dataset ocean-publish options");
    const wallet = await walletFor("trainer", options, out);
    await withChain(options, context, async (chain) => {
      const { ocean } = await oceanOf(chain);
      // Loaded only here: @oceanprotocol/lib, which no other command needs.
      const { publishOnOcean } = await import("../ocean/publish-on-ocean.js");
      const published = await publishOnOcean(out, {
        wallet: wallet.connect(chain.provider),
        registry: await chain.contract("DatasetRegistry"),
        ocean,
        datasetId: options.id,
        serviceEndpoint: options.serviceEndpoint,
        timeout: options.timeout,
        name: options.name,
      });
      const { dataset } = published;
      out.say(`dataset ${options.id} on Ocean:`);
      out.table([
        ["DID", dataset.did],
        ["data NFT", dataset.nft],
        [
          "datatoken",
          `${dataset.datatoken} (compute service ${dataset.serviceIndex}, dispenser: 1 free datatoken at a time)`,
        ],
        ["order valid for", dataset.service.timeout === 0 ? "ever" : `${dataset.service.timeout} s`],
        ["service endpoint", dataset.service.serviceEndpoint],
      ]);
      out.done({ action: "dataset ocean-publish", chainId: chain.chainId, ...published });
    });
  });
}

/** `ocean order ID`: the researcher orders the dataset's compute service (a datatoken from its dispenser). */
function runOceanOrder(raw: Record<string, unknown>, context: CommandContext = {}): Promise<void> {
  return runCommand(raw, async (out) => {
    const options = parseInput(OrderOptionsSchema, raw, "ocean order options");
    const wallet = await walletFor("researcher", options, out);
    await withChain(options, context, async (chain) => {
      const { ocean, registry } = await oceanOf(chain);
      const { orderOnOcean } = await import("../ocean/order-on-ocean.js");
      const ordered = await orderOnOcean(out, {
        wallet: wallet.connect(chain.provider),
        ocean,
        datasetRegistry: registry,
        datasetId: options.id,
      });
      const { order } = ordered;
      out.say(
        `${wallet.address.toLowerCase()} holds order ${order.txHash} for ${ordered.dataset.did}, valid ${order.expiresAt === null ? "without expiry" : `until ${new Date(order.expiresAt * 1000).toISOString()}`}`,
      );
      out.done({ action: "ocean order", chainId: chain.chainId, ...ordered });
    });
  });
}

/** `ocean show ID [--consumer A]`: the dataset's Ocean publication, and whether A holds a valid order. */
function runOceanShow(raw: Record<string, unknown>, context: CommandContext = {}): Promise<void> {
  return runCommand(raw, async (out) => {
    const options = parseInput(ShowOptionsSchema, raw, "ocean show options");
    await withChain(options, context, async (chain) => {
      const { ocean, registry } = await oceanOf(chain);
      const query = { provider: chain.provider, ocean, datasetRegistry: registry, datasetId: options.id };
      const found = await findOceanDataset(query);
      if (found.kind !== "published") {
        out.say(found.kind === "none" ? `dataset ${options.id} is not on Ocean` : `invalid: ${found.reason}`);
        out.done({ chainId: chain.chainId, datasetId: options.id, ocean: found });
        return;
      }
      const { dataset } = found;
      out.table([
        ["DID", dataset.did],
        ["data NFT", dataset.nft],
        ["datatoken", dataset.datatoken],
        ["service", `${dataset.serviceIndex}: ${dataset.service.type}, timeout ${dataset.service.timeout} s`],
        ["state", dataset.closed ?? "orderable"],
      ]);
      const order =
        options.consumer === undefined
          ? undefined
          : await checkOceanOrder({
              provider: chain.provider,
              dataset,
              consumer: options.consumer,
              fromBlock: ocean.startBlock,
            });
      if (order !== undefined) out.say(order.valid ? `valid order ${order.order.txHash}` : order.reason);
      out.done({ chainId: chain.chainId, datasetId: options.id, ocean: found, order: order ?? null });
    });
  });
}

/**
 * `ocean deploy --deployment FILE`: deploys Ocean Protocol's contracts (from `@oceanprotocol/contracts`) on a chain of
 * one's own and adds their addresses to the deployment file under `ocean`.
 */
function runOceanDeploy(raw: Record<string, unknown>, context: CommandContext = {}): Promise<void> {
  return runCommand(raw, async (out) => {
    const options = parseInput(DeployOptionsSchema, raw, "ocean deploy options");
    const wallet = await walletFor("deployer", options, out);
    await withChain(options, context, async (chain) => {
      const { deployment, from } = await chain.deployment();
      if (deployment.ocean !== undefined) {
        throw new TributaryError(
          "OCEAN_DEPLOYED",
          `${from} already names Ocean's contracts (ERC721Factory ${deployment.ocean.ERC721Factory})`,
        );
      }
      out.say(`deploying Ocean Protocol's contracts on chain ${chain.chainId} from ${wallet.address.toLowerCase()}`);
      const ocean = await deployOcean(wallet.connect(chain.provider));
      const file = JSON.parse(await readFile(from, "utf8")) as Record<string, unknown>;
      await writeFile(from, `${JSON.stringify({ ...file, ocean }, null, 2)}\n`);
      out.say(`Ocean's ERC721Factory ${ocean.ERC721Factory}, Dispenser ${ocean.Dispenser}: written to ${from}`);
      out.done({ action: "ocean deploy", chainId: chain.chainId, ocean, deployment: from });
    });
  });
}

/**
 * Adds `ocean order|show|deploy`, and `dataset ocean-publish` under `dataset`: datasets published on Ocean Protocol,
 * whose researchers must hold a datatoken order before a coordinator adopts their jobs or an owner's agent trains.
 */
export function registerOceanCommand(program: Command, context: CommandContext = {}): void {
  const ocean = program
    .command("ocean")
    .description(
      "Ocean Protocol: order a published dataset's compute service, show a publication, deploy Ocean's contracts",
    );
  const withId = (command: Command, run: (raw: Record<string, unknown>, c: CommandContext) => Promise<void>) =>
    command
      .argument("<id>", "the dataset id on DatasetRegistry")
      .action((id: string, options: Record<string, unknown>) => run({ ...options, id }, context));
  withId(
    addKeyOption(
      addChainOptions(ocean.command("order").description("order a dataset's compute service (one datatoken)")),
      "researcher",
    ),
    runOceanOrder,
  );
  withId(
    addChainOptions(
      ocean
        .command("show")
        .description("show a dataset's Ocean publication and whether --consumer holds a valid order")
        .option("--consumer <address>", "the researcher whose order to check"),
    ),
    runOceanShow,
  );
  addKeyOption(
    addChainOptions(
      ocean
        .command("deploy")
        .description(
          "deploy Ocean's contracts on a chain of your own and add them to the --deployment file (required)",
        ),
    ),
    "deployer",
  ).action((options: Record<string, unknown>) => runOceanDeploy(options, context));
}

/** Adds `dataset ocean-publish <id>` to the `dataset` command. */
export function registerOceanPublish(dataset: Command, context: CommandContext = {}): void {
  const publish = dataset
    .command("ocean-publish")
    .argument("<id>", "the dataset id on DatasetRegistry")
    .description(
      "publish the dataset on Ocean Protocol: a data NFT, a compute datatoken with a free dispenser, its DDO",
    )
    .requiredOption(
      "--service-endpoint <url>",
      "where compute jobs on it are submitted (the coordinator your trainer serves)",
    )
    .option("--timeout <seconds>", "how long an order grants access (0: no expiry)", "2592000")
    .option("--name <name>", "the asset's name (default: Tributary dataset ID)");
  addKeyOption(addChainOptions(publish), "trainer", " of the dataset's owner").action(
    (id: string, options: Record<string, unknown>) => runOceanPublish({ ...options, id }, context),
  );
}
