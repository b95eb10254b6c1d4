import {
  type Address,
  AddressSchema,
  commitmentCid,
  DatasetIdSchema,
  DeltaSchema,
  EpsilonSchema,
  PriceSchema,
  parseInput,
} from "@tributary/protocol";
import type { Wallet } from "ethers";
import { z } from "zod";
import { type ChainSession, withChain } from "../chain/chain-session.js";
import { ChainOptionsShape, type CommandContext } from "../chain/command-options.js";
import type { Output } from "../chain/output.js";
import { runCommand } from "../chain/run-command.js";
import { parseTokenAmount } from "../chain/spend.js";
import { sendAndWait } from "../chain/transactions.js";
import { KeyOptionsShape, walletFor } from "../chain/wallet-options.js";
import { type PlannedCall, planDeactivate, planTransfer, planUpdate } from "../dataset/dataset-changes.js";
import { prepareEnrolment } from "../dataset/dataset-enrolment.js";
import { readDataset } from "../dataset/dataset-records.js";
import { DatasetDirShape, priceToken } from "./dataset-options.js";
import { datasetRows } from "./dataset-view.js";

const base = { ...ChainOptionsShape, ...KeyOptionsShape, id: DatasetIdSchema };
const UpdateOptionsSchema = z.strictObject({
  ...base,
  ...DatasetDirShape,
  dir: z.string().min(1).optional(),
  pricePerRound: PriceSchema.optional(),
  epsilon: EpsilonSchema.optional(),
  delta: DeltaSchema.optional(),
  metadataUri: z.string().min(1).max(2000).optional(),
});
const DeactivateOptionsSchema = z.strictObject(base);
const TransferOptionsSchema = z.strictObject({ ...base, to: AddressSchema });

/**
 * The shared run of the three owner changes: the owner's key and registry, the plan (which refuses before any gas
 * is spent when the dataset is unknown, not this key's, or deactivated), the transaction, and the dataset after it.
 */
async function change(
  out: Output,
  options: z.infer<typeof DeactivateOptionsSchema>,
  context: CommandContext,
  action: string,
  plan: (input: { chain: ChainSession; wallet: Wallet; caller: Address }) => Promise<PlannedCall>,
  result: Record<string, unknown> = {},
): Promise<void> {
  const wallet = await walletFor("trainer", options, out);
  const caller = wallet.address.toLowerCase() as Address;
  await withChain(options, context, async (chain) => {
    const planned = await plan({ chain, wallet, caller });
    out.say(`${planned.description}, from ${caller} on chain ${chain.chainId}; it spends only gas`);
    const mined = await sendAndWait(out, planned);
    const registry = await chain.contract("DatasetRegistry");
    const after = await readDataset(registry, options.id);
    const token = await priceToken(chain);
    out.say(`dataset ${options.id} now:`);
    out.table(datasetRows(after, token));
    out.done({ action, chainId: chain.chainId, ...result, dataset: after, transactions: [mined] });
  });
}

/**
 * `dataset update ID`: replaces the fields given. `--dir` recomputes the manifest from the data (after the files
 * changed): the new commitment, and the new manifest's `ipfs://` name as metadata URI when the old one was the old
 * manifest's name; the owner's trainer must then be restarted on the new files.
 */
export function runDatasetUpdate(raw: Record<string, unknown>, context: CommandContext = {}): Promise<void> {
  return runCommand(raw, async (out) => {
    const options = parseInput(UpdateOptionsSchema, raw, "dataset update options");
    let manifestFile: string | undefined;
    await change(out, options, context, "dataset update", async ({ chain, wallet, caller }) => {
      const registry = await chain.contract("DatasetRegistry", wallet);
      const token = await priceToken(chain);
      let commitment: `0x${string}` | undefined;
      let metadataURI = options.metadataUri;
      if (options.dir !== undefined) {
        const current = await readDataset(registry, options.id);
        const prepared = await prepareEnrolment(options.dir, { ...options, metadataURI: options.metadataUri });
        manifestFile = prepared.manifestFile;
        commitment = prepared.commitment;
        out.say(`manifest of ${options.dir} written to ${prepared.manifestFile} (commitment ${commitment})`);
        const named = current.metadataURI === `ipfs://${commitmentCid(current.commitment)}`;
        if (metadataURI === undefined && named) metadataURI = prepared.metadataURI;
      }
      return planUpdate(registry, caller, options.id, {
        commitment,
        metadataURI,
        pricePerRound:
          options.pricePerRound === undefined
            ? undefined
            : parseTokenAmount(options.pricePerRound, token, "--price-per-round"),
        epsilon: options.epsilon,
        delta: options.delta,
      });
    });
    if (manifestFile !== undefined)
      out.say(`restart the dataset's trainer on the new files (manifest ${manifestFile})`);
  });
}

/** `dataset deactivate ID`: for good; the dataset can join no new job (jobs it is in go on). */
export function runDatasetDeactivate(raw: Record<string, unknown>, context: CommandContext = {}): Promise<void> {
  return runCommand(raw, async (out) => {
    const options = parseInput(DeactivateOptionsSchema, raw, "dataset deactivate options");
    await change(out, options, context, "dataset deactivate", async ({ chain, wallet, caller }) =>
      planDeactivate(await chain.contract("DatasetRegistry", wallet), caller, options.id),
    );
  });
}

/** `dataset transfer ID --to ADDRESS`: the new owner's key then serves it and is paid for its future jobs. */
export function runDatasetTransfer(raw: Record<string, unknown>, context: CommandContext = {}): Promise<void> {
  return runCommand(raw, async (out) => {
    const options = parseInput(TransferOptionsSchema, raw, "dataset transfer options");
    await change(
      out,
      options,
      context,
      "dataset transfer",
      async ({ chain, wallet, caller }) =>
        planTransfer(await chain.contract("DatasetRegistry", wallet), caller, options.id, options.to),
      { to: options.to },
    );
  });
}
