import { parseInput, TributaryError, Uint256Schema } from "@tributary/protocol";
import { z } from "zod";
import { withChain } from "../chain/chain-session.js";
import { ChainOptionsShape, type CommandContext, CoordinatorOptionsShape } from "../chain/command-options.js";
import { runCommand } from "../chain/run-command.js";
import { formatToken, tokenInfo } from "../chain/spend.js";
import { KeyOptionsShape, walletFor } from "../chain/wallet-options.js";
import { claimModelRevenue } from "../model/contributor-revenue.js";

const ClaimRevenueOptionsSchema = z.strictObject({
  ...ChainOptionsShape,
  ...CoordinatorOptionsShape,
  ...KeyOptionsShape,
  revenue: z.literal(true),
  model: Uint256Schema,
});

/**
 * `tributary claim --revenue --model ID`: the data owner's share of a registered model's licence revenue, claimed
 * with the payout proof of the job the model references (`claimModelRevenue`); ModelRegistry and TrainingJobs come
 * from the deployment file. Exit 0 paid, 1 refused (nothing new, no payout, a proof the chain does not back).
 */
export function runClaimRevenue(raw: Record<string, unknown>, context: CommandContext = {}): Promise<void> {
  return runCommand(raw, async (out) => {
    if (raw.all === true || raw.job !== undefined || raw.trainingJobs !== undefined) {
      throw new TributaryError(
        "INVALID_INPUT",
        "--revenue claims one model's revenue (--model ID), with the contracts of the deployment file: drop --all, --job and --training-jobs (claim --all includes every model's revenue)",
      );
    }
    if (raw.model === undefined) throw new TributaryError("INVALID_INPUT", "--revenue needs --model ID");
    const { all: _a, job: _j, trainingJobs: _t, ...rest } = raw;
    const options = parseInput(ClaimRevenueOptionsSchema, rest, "claim --revenue options");
    const wallet = await walletFor("trainer", options, out);
    await withChain(options, context, async (chain) => {
      const models = await chain.contract("ModelRegistry", wallet);
      const claim = await claimModelRevenue(out, {
        trainer: wallet.connect(chain.provider),
        models,
        trainingJobs: await chain.address("TrainingJobs"),
        coordinatorUrl: options.coordinator,
        modelId: BigInt(options.model),
      });
      const token = await tokenInfo((await models.getModel(BigInt(options.model))).paymentToken, chain.provider);
      out.done(
        { action: "claim revenue", chainId: chain.chainId, ...claim, token, transactions: [claim.transaction] },
        [
          `claimed ${formatToken(claim.amount, token)} (${claim.amount} base units) of model ${claim.modelId}'s licence revenue for ${claim.trainer}, its share as a contributor to job ${claim.jobId}`,
        ],
      );
    });
  });
}
