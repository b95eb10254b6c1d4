import { parseInput, TributaryError } from "@tributary/protocol";
import { z } from "zod";
import { withChain } from "../chain/chain-session.js";
import { ChainOptionsShape, type CommandContext, CoordinatorOptionsShape } from "../chain/command-options.js";
import { RefusedError, runCommand } from "../chain/run-command.js";
import { formatToken, tokenInfo } from "../chain/spend.js";
import { KeyOptionsShape, walletFor } from "../chain/wallet-options.js";
import { type ClaimRow, claimJobs, finalisedJobsOf, SKIPPED } from "../dataset/claim-all.js";
import { claimRevenueOfJobs, REVENUE_SKIPPED, type RevenueRow } from "../model/contributor-revenue.js";

const ClaimAllOptionsSchema = z.strictObject({
  ...ChainOptionsShape,
  ...CoordinatorOptionsShape,
  ...KeyOptionsShape,
  all: z.literal(true),
  fromBlock: z.coerce.number().int().nonnegative().optional(),
});

const OUTCOME_TEXT: Record<ClaimRow["outcome"], string> = {
  claimed: "claimed",
  "already-claimed": "skipped: claimed before",
  "no-payout": "skipped: no payout for this owner",
  "claim-period-over": "skipped: claim period over",
  "unknown-job": "refused: unknown job",
  "not-finalized": "refused: not finalised",
  "invalid-proof": "refused: proof does not verify on chain",
  reverted: "refused: the contract reverted",
  error: "failed",
};

const REVENUE_TEXT: Record<RevenueRow["outcome"], string> = {
  claimed: "claimed",
  "nothing-to-claim": "skipped: nothing new in its pool",
  "no-payout": "skipped: no payout for this owner",
  "unknown-model": "refused: unknown model",
  "no-job": "refused: no job",
  "invalid-proof": "refused: proof does not verify on chain",
  reverted: "refused: the contract reverted",
  error: "failed",
};

/**
 * `tributary claim --all`: every finalised job that trained on a dataset this key held (from DatasetRegistry's and
 * TrainingJobs' events, from the deployment's start block), each claimed as `claim --job` claims it; a table of what
 * became of each; then the owner's share of the licence revenue of every model registered for those jobs
 * (`claimRevenueOfJobs`), in a second table. Exit 0 when each payout and share was claimed or skipped (claimed before,
 * nothing owed, too late, nothing new in a model's pool), else 1.
 */
export function runClaimAll(raw: Record<string, unknown>, context: CommandContext = {}): Promise<void> {
  return runCommand(raw, async (out) => {
    if (raw.trainingJobs !== undefined || raw.job !== undefined || raw.model !== undefined) {
      throw new TributaryError(
        "INVALID_INPUT",
        "--all takes DatasetRegistry, TrainingJobs and ModelRegistry from the deployment file (--deployment): drop --job, --model and --training-jobs",
      );
    }
    const { trainingJobs: _t, job: _j, revenue: _r, ...rest } = raw;
    const options = parseInput(ClaimAllOptionsSchema, rest, "claim --all options");
    const wallet = await walletFor("trainer", options, out);
    const owner = wallet.address.toLowerCase();
    await withChain(options, context, async (chain) => {
      const { deployment } = await chain.deployment();
      const fromBlock = options.fromBlock ?? deployment.startBlock;
      const jobs = await chain.contract("TrainingJobs");
      const jobIds = await finalisedJobsOf({
        registry: await chain.contract("DatasetRegistry"),
        jobs,
        owner,
        fromBlock,
      });
      out.say(
        `${jobIds.length} finalised job(s) trained on datasets of ${owner} since block ${fromBlock}; claiming each (each claim spends only gas)`,
      );
      const progress = out.progress("claiming");
      progress.update(0);
      let rows: ClaimRow[];
      try {
        rows = await claimJobs({
          coordinatorUrl: options.coordinator,
          signer: wallet.connect(chain.provider),
          trainingJobs: await jobs.getAddress(),
          jobIds,
          onRow: (_, index) => progress.update((index + 1) / jobIds.length),
        });
      } finally {
        progress.end();
      }
      const token = await tokenInfo(deployment.contracts.TributaryToken, chain.provider);
      const claimed = rows.reduce((sum, row) => sum + (row.amount ?? 0n), 0n);
      if (rows.length > 0) {
        out.table([
          ["job", "outcome", "amount", "transaction"],
          ...rows.map((row) => [
            row.jobId,
            OUTCOME_TEXT[row.outcome],
            row.amount === null ? "" : `${row.amount} base units`,
            row.txHash ?? "",
          ]),
        ]);
      }
      const revenue = await claimRevenueOfJobs(out, {
        trainer: wallet.connect(chain.provider),
        models: await chain.contract("ModelRegistry", wallet),
        trainingJobs: await jobs.getAddress(),
        coordinatorUrl: options.coordinator,
        jobIds,
        fromBlock,
      });
      if (revenue.length > 0) {
        out.say(
          `${revenue.length} model(s) registered for those jobs: claiming this owner's share of their licence revenue`,
        );
        out.table([
          ["model", "job", "outcome", "amount", "transaction"],
          ...revenue.map((row) => [
            row.modelId,
            row.jobId,
            REVENUE_TEXT[row.outcome],
            row.amount === null ? "" : `${row.amount} base units`,
            row.txHash ?? "",
          ]),
        ]);
      }
      const failed = rows.filter((row) => row.outcome !== "claimed" && !SKIPPED.includes(row.outcome));
      const failedRevenue = revenue.filter(
        (row) => row.outcome !== "claimed" && !REVENUE_SKIPPED.includes(row.outcome),
      );
      for (const row of failed) out.say(`  job ${row.jobId}: ${row.message}`);
      for (const row of failedRevenue) out.say(`  model ${row.modelId}: ${row.message}`);
      const claimedCount = rows.filter((row) => row.outcome === "claimed").length;
      const revenueClaimed = revenue.filter((row) => row.outcome === "claimed");
      const revenueTotal = revenueClaimed.reduce((sum, row) => sum + (row.amount ?? 0n), 0n);
      const summary = {
        owner,
        chainId: chain.chainId,
        fromBlock,
        jobs: rows,
        claimed,
        revenue,
        revenueClaimed: revenueTotal,
      };
      if (failed.length > 0 || failedRevenue.length > 0) {
        const what = [
          ...(failed.length > 0
            ? [
                `${failed.length} of ${rows.length} payouts could not be claimed (jobs ${failed.map((row) => row.jobId).join(", ")})`,
              ]
            : []),
          ...(failedRevenue.length > 0
            ? [
                `${failedRevenue.length} of ${revenue.length} model revenue shares could not be claimed (models ${failedRevenue.map((row) => row.modelId).join(", ")})`,
              ]
            : []),
        ];
        throw new RefusedError("CLAIM_REFUSED", `${what.join("; ")}; ${claimedCount} claimed`, summary);
      }
      out.done(summary, [
        `claimed ${claimedCount} payout(s), ${claimed} base units in all (${formatToken(claimed, token)} if paid in ${token.symbol})`,
        ...(revenue.length > 0
          ? [`claimed ${revenueClaimed.length} model revenue share(s), ${revenueTotal} base units in all`]
          : []),
      ]);
    });
  });
}
