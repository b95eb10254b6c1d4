import { maxEpsilon, parseInput, Uint256Schema } from "@tributary/protocol";
import { z } from "zod";
import type { ChainSession } from "../chain/chain-session.js";
import { withChain } from "../chain/chain-session.js";
import { ChainOptionsShape, type CommandContext, CoordinatorOptionsShape } from "../chain/command-options.js";
import { runCommand } from "../chain/run-command.js";
import { formatToken, SpendOptionsShape, type TokenInfo, tokenInfo } from "../chain/spend.js";
import { KeyOptionsShape, walletFor } from "../chain/wallet-options.js";
import { buyLicence } from "../model/buy-licence.js";
import { downloadLicensedModel } from "../model/download-licensed-model.js";
import { type ListedModel, listModels, modelsOnChain, readListedModel } from "../model/model-catalogue.js";
import { matchesFilter } from "../model/model-filter.js";
import {
  describeRecord,
  emptyRecord,
  readDeploymentRecords,
  type VerificationRecord,
} from "../verification/verification-record.js";
import { TokenPriceSchema } from "./model-register.js";

const base = { ...ChainOptionsShape, ...CoordinatorOptionsShape };
const ModelIdSchema = Uint256Schema.refine((id) => id !== "0", "model ids start at 1");

const ListOptionsSchema = z.strictObject({
  ...base,
  task: z.string().min(1).max(200).optional(),
  minAccuracy: z.coerce.number().min(0).max(1).optional(),
  maxPrice: TokenPriceSchema.optional(),
  maxPricePerToken: TokenPriceSchema.optional(),
  minReputation: z.coerce.bigint().nonnegative().optional(),
  maxEpsilon: z.coerce.number().min(0).optional(),
  job: Uint256Schema.optional(),
  all: z.boolean().default(false),
});
const ShowOptionsSchema = z.strictObject({ ...base, id: ModelIdSchema });
const BuyOptionsSchema = z.strictObject({
  ...ChainOptionsShape,
  ...KeyOptionsShape,
  ...SpendOptionsShape,
  id: ModelIdSchema,
  maxPrice: TokenPriceSchema,
});
const DownloadOptionsSchema = z.strictObject({
  ...base,
  ...KeyOptionsShape,
  id: ModelIdSchema,
  out: z.string().min(1),
});

const percent = (value: number) => `${(value * 100).toFixed(2)}%`;

function epsilonText(model: ListedModel): string {
  if (model.metadata === null) return "—";
  const spent = maxEpsilon(model.metadata);
  return spent === null ? "no DP" : String(Number(spent.toFixed(4)));
}

/** The staking token, in which slashes are counted. */
async function stakeToken(chain: ChainSession): Promise<TokenInfo> {
  return tokenInfo(await (await chain.contract("Staking")).stakingToken(), chain.provider);
}

/** A listed model with its provider's record of verified results on it, read from the chain's events. */
type ModelWithRecord = ListedModel & { readonly verification: VerificationRecord };

/** `model list`'s row for people. */
function listRow(model: ModelWithRecord, stake: TokenInfo): string[] {
  const record = model.verification;
  const metadata = model.metadata;
  return [
    model.modelId,
    model.jobId === "0" ? "—" : model.jobId,
    metadata?.task ?? "?",
    metadata?.validation == null ? "—" : percent(metadata.validation.accuracy),
    epsilonText(model),
    formatToken(model.licencePrice, model.token),
    formatToken(model.pricePerToken, model.token),
    String(model.reputation),
    String(record.tasks),
    `${record.disputesWon}/${record.disputesLost}`,
    record.slashes === 0 ? "—" : formatToken(record.slashed, stake),
    model.active ? "active" : "inactive",
    metadata?.jobSpec.name ?? `metadata: ${model.metadataProblem}`,
  ];
}

function runList(raw: Record<string, unknown>, context: CommandContext): Promise<void> {
  return runCommand(raw, async (out) => {
    const options = parseInput(ListOptionsSchema, raw, "model list options");
    await withChain(options, context, async (chain) => {
      const all = await listModels(await modelsOnChain(chain), options.coordinator);
      const records = await readDeploymentRecords(chain);
      const stake = await stakeToken(chain);
      const models = all
        .filter((model) => matchesFilter(model, options))
        .map((model) => ({
          ...model,
          verification: records.get(model.modelId) ?? emptyRecord(BigInt(model.modelId)),
        }));
      out.say(`${models.length} of ${all.length} registered model(s) on chain ${chain.chainId} match`);
      if (models.length > 0) {
        out.table([
          [
            "model",
            "job",
            "task",
            "accuracy",
            "max ε",
            "licence",
            "per token",
            "reputation",
            "tasks",
            "disputes won/lost",
            "slashed",
            "status",
            "name",
          ],
          ...models.map((model) => listRow(model, stake)),
        ]);
      }
      out.done({ action: "model list", chainId: chain.chainId, models });
    });
  });
}

/** `model show`'s table: the chain's record first, then what the checked metadata says. */
function showRows(model: ModelWithRecord, stake: TokenInfo): string[][] {
  const show = (amount: bigint) => formatToken(amount, model.token);
  const rows = [
    ["status", model.active ? "active: sells licences" : "inactive", ""],
    ["provider", model.provider, `stake locked ${show(model.stake)}, reputation ${model.reputation}`],
    [
      "verified",
      describeRecord(model.verification, (amount) => formatToken(amount, stake)),
      "OptimisticVerifier tasks and disputes, ModelRegistry slashes",
    ],
    ["job", model.jobId === "0" ? "—" : model.jobId, ""],
    ["weights", model.modelHash, "SHA-256 of the flat float32 weights"],
    ["licence", show(model.licencePrice), model.token.address],
    ["per token", show(model.pricePerToken), "inference, through a payment channel"],
    ["endpoint", model.endpoint === "" ? "—" : model.endpoint, ""],
    ["metadata", model.modelURI, model.metadataProblem ?? "checked against ModelRegistry and TrainingJobs"],
  ];
  const metadata = model.metadata;
  if (metadata !== null) {
    const spec = metadata.jobSpec;
    rows.push(["name", spec.name, `${metadata.task}, ${metadata.parameters} parameters, loss ${spec.model.loss}`]);
    rows.push([
      "layout",
      `input [${spec.model.inputShape.join(", ")}]`,
      spec.model.layers.map((layer) => layer.type).join(" → "),
    ]);
    rows.push(
      metadata.validation === null
        ? ["accuracy", "—", "the job was scored on no validation set"]
        : [
            "accuracy",
            percent(metadata.validation.accuracy),
            `loss ${Number(metadata.validation.loss.toFixed(6))} on ${metadata.validation.examples} examples of ${metadata.validation.validationSetCid}`,
          ],
    );
    for (const { datasetId, epsilon } of metadata.privacy) {
      rows.push([`ε dataset ${datasetId}`, epsilon === null ? "no DP" : String(epsilon), ""]);
    }
  }
  return rows;
}

function runShow(raw: Record<string, unknown>, context: CommandContext): Promise<void> {
  return runCommand(raw, async (out) => {
    const options = parseInput(ShowOptionsSchema, raw, "model show options");
    await withChain(options, context, async (chain) => {
      const modelId = BigInt(options.id);
      const listed = await readListedModel(await modelsOnChain(chain), options.coordinator, modelId);
      const records = await readDeploymentRecords(chain, [modelId]);
      const model = { ...listed, verification: records.get(listed.modelId) ?? emptyRecord(modelId) };
      out.say(`model ${model.modelId} on chain ${chain.chainId}:`);
      out.table(showRows(model, await stakeToken(chain)));
      out.done({ action: "model show", chainId: chain.chainId, model });
    });
  });
}

function runBuy(raw: Record<string, unknown>, context: CommandContext): Promise<void> {
  return runCommand(raw, async (out) => {
    const options = parseInput(BuyOptionsSchema, raw, "model buy options");
    const wallet = await walletFor("buyer", options, out);
    await withChain(options, context, async (chain) => {
      const purchase = await buyLicence(out, {
        buyer: wallet.connect(chain.provider),
        models: await chain.contract("ModelRegistry", wallet),
        modelId: BigInt(options.id),
        maxPrice: options.maxPrice,
        approve: options.approve,
      });
      const show = (amount: bigint) => formatToken(amount, purchase.token);
      out.done({ action: "model buy", chainId: chain.chainId, ...purchase }, [
        `${purchase.buyer} holds a licence for model ${purchase.modelId}: paid ${show(purchase.price)} (fee ${show(purchase.fee)}, provider ${show(purchase.providerShare)}, researcher ${show(purchase.researcherShare)}, contributors ${show(purchase.contributorShare)})`,
        `  download it with tributary model download ${purchase.modelId} --out DIR`,
      ]);
    });
  });
}

function runDownload(raw: Record<string, unknown>, context: CommandContext): Promise<void> {
  return runCommand(raw, async (out) => {
    const options = parseInput(DownloadOptionsSchema, raw, "model download options");
    const wallet = await walletFor("buyer", options, out);
    await withChain(options, context, async (chain) => {
      const model = await downloadLicensedModel({
        chain: await modelsOnChain(chain),
        coordinatorUrl: options.coordinator,
        buyer: wallet.connect(chain.provider),
        modelId: BigInt(options.id),
        dir: options.out,
      });
      out.done({ action: "model download", chainId: chain.chainId, ...model }, [
        `model ${model.modelId} (job ${model.jobId}, ${model.parameters} parameters, SHA-256 ${model.sha256}, the modelHash registered on ModelRegistry) written to ${options.out}:`,
        `  ${model.files.modelJson} + ${model.files.weightsBin}: tfjs layers model (tf.loadLayersModel)`,
        `  ${model.files.flat}: the flat weights, little-endian float32; ${model.files.metadata}: its metadata`,
      ]);
    });
  });
}

export { runBuy, runDownload, runList, runShow };
