import { parseInput, TributaryError } from "@tributary/protocol";
import { z } from "zod";
import { withChain } from "../chain/chain-session.js";
import { ChainOptionsShape, type CommandContext } from "../chain/command-options.js";
import type { Output } from "../chain/output.js";
import { runCommand } from "../chain/run-command.js";
import { formatToken, parseTokenAmount } from "../chain/spend.js";
import { sendAndWait } from "../chain/transactions.js";
import { KeyOptionsShape, walletFor } from "../chain/wallet-options.js";
import { waitForIndexing } from "../dataset/coordinator-indexing.js";
import { enrolledDatasetId, planEnrol } from "../dataset/dataset-changes.js";
import { prepareEnrolment, trainerCommand } from "../dataset/dataset-enrolment.js";
import { DatasetDirShape, DeltaSchema, EpsilonSchema, PriceSchema, priceToken } from "./dataset-options.js";

const EnrolOptionsSchema = z.strictObject({
  ...ChainOptionsShape,
  ...KeyOptionsShape,
  ...DatasetDirShape,
  dir: z.string().min(1),
  pricePerRound: PriceSchema,
  epsilon: EpsilonSchema,
  delta: DeltaSchema,
  metadataUri: z.string().min(1).max(2000).optional(),
  coordinator: z.url({ message: "must be the coordinator's URL, e.g. http://127.0.0.1:8470" }).optional(),
  waitSeconds: z.coerce.number().nonnegative().default(120),
});
type EnrolOptions = z.infer<typeof EnrolOptionsSchema>;

/** `word` as a POSIX shell reads it back: as is when it is plain, else single-quoted. */
function shellWord(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", "'\\''")}'`;
}

/** With `--coordinator`: waits until it has indexed the enrolment (a trainer started before would be refused). */
async function checkCoordinator(out: Output, options: EnrolOptions, id: string, commitment: string) {
  if (options.coordinator === undefined) return undefined;
  const waiting = out.progress(`waiting for ${options.coordinator} to index dataset ${id}`);
  try {
    return await waitForIndexing({
      url: options.coordinator,
      id,
      commitment,
      timeoutMs: options.waitSeconds * 1000,
      onWait: (elapsed) => waiting.update(elapsed / (options.waitSeconds * 1000)),
    });
  } finally {
    waiting.end();
  }
}

/**
 * `tributary dataset enrol DIR`: builds the manifest of the data in DIR with the trainer's own loader, writes it
 * beside the data, registers its commitment on DatasetRegistry from the owner's key, and prints the
 * `tributary trainer` command that serves the dataset.
 */
export function runDatasetEnrol(raw: Record<string, unknown>, context: CommandContext = {}): Promise<void> {
  return runCommand(raw, async (out) => {
    const options = parseInput(EnrolOptionsSchema, raw, "dataset enrol options");
    const wallet = await walletFor("trainer", options, out);
    await withChain(options, context, async (chain) => {
      const registry = await chain.contract("DatasetRegistry", wallet);
      const token = await priceToken(chain);
      const pricePerRound = parseTokenAmount(options.pricePerRound, token, "--price-per-round");
      const prepared = await prepareEnrolment(options.dir, {
        ...options,
        metadataURI: options.metadataUri,
      });
      const { manifest, commitment } = prepared;
      out.say(
        `dataset in ${options.dir}: ${manifest.recordCount} ${manifest.format} records of shape [${manifest.featureShape}], ${manifest.numClasses} classes, ${manifest.shards.length} file(s)`,
      );
      out.say(`manifest written to ${prepared.manifestFile} (commitment ${commitment})`);
      out.say(
        `enrolling from ${wallet.address} on chain ${chain.chainId}: price ${formatToken(pricePerRound, token)} per round, ε ${options.epsilon}, δ ${options.delta}, metadata ${prepared.metadataURI}; it spends only gas`,
      );
      const mined = await sendAndWait(
        out,
        planEnrol(registry, commitment, {
          metadataURI: prepared.metadataURI,
          pricePerRound,
          epsilon: options.epsilon,
          delta: options.delta,
        }),
      );
      const receipt = await chain.provider.getTransactionReceipt(mined.hash);
      if (receipt === null) {
        throw new TributaryError("CHAIN_ERROR", `the node has no receipt for the mined transaction ${mined.hash}`);
      }
      const datasetId = enrolledDatasetId(registry, receipt);
      const indexed = await checkCoordinator(out, options, datasetId, commitment);
      const command = trainerCommand({
        datasetId,
        dir: prepared.dir,
        coordinator: options.coordinator ?? "URL",
        rpc: options.rpc,
        deployment: options.deployment,
        epsilon: options.epsilon,
        delta: options.delta,
      });
      const lines = [
        `enrolled dataset ${datasetId} (owner ${wallet.address.toLowerCase()})`,
        ...(indexed === undefined
          ? []
          : [
              indexed
                ? `the coordinator at ${options.coordinator} has indexed it: the trainer can start`
                : `the coordinator at ${options.coordinator} has not indexed it after ${options.waitSeconds} s (it waits for confirmations); the trainer is refused until it has`,
            ]),
        "serve it with (key from TRIBUTARY_TRAINER_KEY or --keystore, as here):",
        `  ${command.map(shellWord).join(" ")}`,
      ];
      out.done(
        {
          action: "dataset enrol",
          chainId: chain.chainId,
          datasetId,
          owner: wallet.address.toLowerCase(),
          commitment,
          metadataURI: prepared.metadataURI,
          manifestFile: prepared.manifestFile,
          manifest,
          pricePerRound,
          epsilon: options.epsilon,
          delta: options.delta,
          coordinatorIndexed: indexed ?? null,
          trainerCommand: command,
          transactions: [mined],
        },
        lines,
      );
    });
  });
}
