import { DeltaSchema, EpsilonSchema, PriceSchema, parseInput } from "@tributary/protocol";
import { z } from "zod";
import { withChain } from "../chain/chain-session.js";
import { ChainOptionsShape, type CommandContext } from "../chain/command-options.js";
import { runCommand } from "../chain/run-command.js";
import { parseTokenAmount } from "../chain/spend.js";
import { KeyOptionsShape, walletFor } from "../chain/wallet-options.js";
import { enrolDataset, trainerCommand } from "../dataset/dataset-enrolment.js";
import { DatasetDirShape, priceToken } from "./dataset-options.js";

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
/** `word` as a POSIX shell reads it back: as is when it is plain, else single-quoted. */
function shellWord(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", "'\\''")}'`;
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
      const enrolled = await enrolDataset(
        out,
        { chainId: chain.chainId, provider: chain.provider, owner: wallet.address, registry },
        {
          dir: options.dir,
          read: { ...options, metadataURI: options.metadataUri },
          pricePerRound,
          token,
          epsilon: options.epsilon,
          delta: options.delta,
          coordinator:
            options.coordinator === undefined
              ? undefined
              : { url: options.coordinator, timeoutMs: options.waitSeconds * 1000 },
        },
      );
      const { prepared, datasetId, indexed } = enrolled;
      const { manifest, commitment } = prepared;
      const command = trainerCommand({
        datasetId,
        dir: prepared.dir,
        coordinator: options.coordinator ?? "URL",
        rpc: options.rpc,
        deployment: options.deployment,
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
          transactions: [enrolled.transaction],
        },
        lines,
      );
    });
  });
}
