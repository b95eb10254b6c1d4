import { AddressSchema, JobIdSchema, parseInput } from "@tributary/protocol";
import { z } from "zod";
import { type ChainSession, withChain } from "../chain/chain-session.js";
import { ChainOptionsShape, type CommandContext, CoordinatorOptionsShape } from "../chain/command-options.js";
import { runCommand } from "../chain/run-command.js";
import { parseTokenAmount, TokenAmountSchema, type TokenInfo, tokenInfo } from "../chain/spend.js";
import { KeyOptionsShape, walletFor } from "../chain/wallet-options.js";
import { CoordinatorClient } from "../job/coordinator-client.js";
import { approveProvider } from "../model/approve-provider.js";
import { registerJobModel } from "../model/register-model.js";

/** A price typed by a person: tokens, zero allowed (a free licence). */
export const TokenPriceSchema = z.string().regex(/^\d+(\.\d+)?$/, "must be an amount of tokens such as 0, 100 or 12.5");

/** `--token TRIB|ADDR`: the deployment's TributaryToken, or any ERC-20 named by address. */
export const PaymentTokenSchema = z.union([z.literal("TRIB"), AddressSchema]);

const RegisterOptionsSchema = z.strictObject({
  ...ChainOptionsShape,
  ...CoordinatorOptionsShape,
  ...KeyOptionsShape,
  job: JobIdSchema,
  stake: TokenAmountSchema,
  pricePerToken: TokenPriceSchema,
  licencePrice: TokenPriceSchema,
  endpoint: z.url({ protocol: /^https?$/ }).optional(),
  token: PaymentTokenSchema.default("TRIB"),
});

const ApproveOptionsSchema = z.strictObject({
  ...ChainOptionsShape,
  ...KeyOptionsShape,
  job: JobIdSchema,
  provider: AddressSchema,
  revoke: z.boolean().default(false),
});

/** `--token TRIB` is the deployment's TributaryToken; any other ERC-20 is named by address. */
export async function paymentToken(chain: ChainSession, token: string): Promise<TokenInfo> {
  return tokenInfo(token === "TRIB" ? await chain.address("TributaryToken") : token, chain.provider);
}

/**
 * `tributary model register --job ID --stake X --price-per-token P --licence-price L`: the job's researcher, or a
 * provider it approved, lists the finalised job's final model on ModelRegistry (key: TRIBUTARY_PROVIDER_KEY, the
 * account whose stake is locked).
 */
export function runModelRegister(raw: Record<string, unknown>, context: CommandContext): Promise<void> {
  return runCommand(raw, async (out) => {
    const options = parseInput(RegisterOptionsSchema, raw, "model register options");
    const wallet = await walletFor("provider", options, out);
    await withChain(options, context, async (chain) => {
      const signer = wallet.connect(chain.provider);
      const models = await chain.contract("ModelRegistry", wallet);
      const staking = await chain.contract("Staking", wallet);
      const stakeToken = await tokenInfo(await staking.stakingToken(), chain.provider);
      const token = await paymentToken(chain, options.token);
      const coordinator = await CoordinatorClient.signIn(options.coordinator, signer, Number(chain.chainId));
      const registered = await registerJobModel(out, {
        coordinator,
        chain: { provider: chain.provider, chainId: chain.chainId, trainingJobs: await chain.address("TrainingJobs") },
        registrant: { address: signer.address, models, staking, stakeToken },
        offer: {
          jobId: options.job,
          stake: parseTokenAmount(options.stake, stakeToken, "--stake"),
          pricePerToken: parseTokenAmount(options.pricePerToken, token, "--price-per-token"),
          licencePrice: parseTokenAmount(options.licencePrice, token, "--licence-price"),
          paymentToken: token,
          endpoint: options.endpoint ?? "",
        },
      });
      const { metadata } = registered;
      const accuracy =
        metadata.validation === null
          ? "no validation set"
          : `accuracy ${(metadata.validation.accuracy * 100).toFixed(2)}% on ${metadata.validation.examples} validation examples`;
      out.done(
        {
          action: "model register",
          chainId: chain.chainId,
          modelId: registered.modelId,
          jobId: options.job,
          modelHash: metadata.modelHash,
          modelURI: registered.modelURI,
          metadata,
          transactions: [registered.transaction],
        },
        [
          `model ${registered.modelId} registered for job ${options.job}: weights ${metadata.modelHash}, ${accuracy}, licence ${options.licencePrice} ${token.symbol}`,
          `  metadata ${registered.modelURI} (served at ${coordinator.url}/model-metadata/${registered.metadataCid})`,
        ],
      );
    });
  });
}

/** `tributary model approve --job ID --provider ADDR [--revoke]`: a researcher lets a provider list its job's model. */
export function runModelApprove(raw: Record<string, unknown>, context: CommandContext): Promise<void> {
  return runCommand(raw, async (out) => {
    const options = parseInput(ApproveOptionsSchema, raw, "model approve options");
    const wallet = await walletFor("researcher", options, out);
    await withChain(options, context, async (chain) => {
      const approved = !options.revoke;
      const tx = await approveProvider(out, {
        researcher: wallet.connect(chain.provider),
        models: await chain.contract("ModelRegistry", wallet),
        trainingJobs: await chain.address("TrainingJobs"),
        jobId: options.job,
        provider: options.provider,
        approved,
      });
      out.done(
        { action: "model approve", jobId: options.job, provider: options.provider, approved, transactions: [tx] },
        [
          approved
            ? `${options.provider} may now register job ${options.job}'s model and read its final model at the coordinator`
            : `${options.provider} may no longer register job ${options.job}'s model`,
        ],
      );
    });
  });
}
