import { type Address, AddressSchema, JobIdSchema, parseInput } from "@tributary/protocol";
import { z } from "zod";
import { type ChainSession, withChain } from "../chain/chain-session.js";
import { ChainOptionsShape, type CommandContext, CoordinatorOptionsShape } from "../chain/command-options.js";
import type { Output } from "../chain/output.js";
import { RefusedError, runCommand } from "../chain/run-command.js";
import { formatToken } from "../chain/spend.js";
import { KeyOptionsShape, optionalWalletFor, walletFor } from "../chain/wallet-options.js";
import { CoordinatorClient } from "../job/coordinator-client.js";
import { type JobReport, type JobsOnChain, listJobs, researchersJob, showJob } from "../job/job-info.js";
import { downloadJobModel, writeJobModel } from "../job/job-model.js";
import { cancelJob, type Refund, reclaimJob } from "../job/job-refunds.js";

const base = { ...ChainOptionsShape, ...CoordinatorOptionsShape };
const ByIdSchema = z.strictObject({ ...base, id: JobIdSchema });
const SignedByIdSchema = z.strictObject({ ...base, ...KeyOptionsShape, id: JobIdSchema });
const ListSchema = z.strictObject({
  ...base,
  ...KeyOptionsShape,
  researcher: AddressSchema.optional(),
  all: z.boolean().default(false),
});
const ModelSchema = z.strictObject({
  ...base,
  ...KeyOptionsShape,
  id: JobIdSchema,
  out: z.string().min(1),
  last: z.boolean().optional(),
});

async function jobsOnChain(chain: ChainSession): Promise<JobsOnChain> {
  const { deployment } = await chain.deployment();
  return {
    provider: chain.provider,
    trainingJobs: deployment.contracts.TrainingJobs,
    startBlock: deployment.startBlock,
  };
}

const when = (seconds: bigint) => (seconds === 0n ? "—" : new Date(Number(seconds) * 1000).toISOString());

/** `job show`'s table: the chain's record first (the authority), then the coordinator's progress. */
function reportRows(report: JobReport): string[][] {
  const { chain, token } = report;
  const show = (amount: bigint) => formatToken(amount, token);
  const rows = [
    ["status on chain", chain.status, chain.accepted ? "accepted by its coordinator" : "not accepted yet"],
    ["researcher", chain.researcher, ""],
    ["coordinator", chain.coordinator, ""],
    ["datasets", chain.datasetIds.join(", "), ""],
    ["rounds anchored", `${chain.roundsAnchored}/${chain.rounds}`, ""],
    ["escrow", show(chain.escrow), token.address],
    ["payouts", show(chain.payoutTotal), `claimed ${show(chain.claimed)}, fee ${show(chain.fee)}`],
    ["refunded", show(chain.refunded), `reclaimable now ${show(chain.reclaimable)}`],
    ["claim deadline", when(chain.claimDeadline), ""],
  ];
  if (chain.status === "Open" || chain.status === "Running") {
    rows.push(["stale from", when(chain.staleAt), "cancellable by its researcher after this, if nothing happens"]);
  }
  if ("job" in report.coordinator) {
    const job = report.coordinator.job;
    const metrics = job.finalMetrics;
    rows.push(["at the coordinator", job.status, `"${job.spec.name}", round ${job.round}`]);
    if (metrics !== null) {
      rows.push([
        "final metrics",
        Object.entries(metrics)
          .map(([k, v]) => `${k} ${Number(v.toFixed(6))}`)
          .join(", "),
        "",
      ]);
    }
    if (job.error !== null) rows.push(["error", job.error, ""]);
    if (job.statusMessage != null) rows.push(["note", job.statusMessage, ""]);
  } else {
    rows.push(["at the coordinator", "—", report.coordinator.unavailable]);
  }
  return rows;
}

function runShow(raw: Record<string, unknown>, context: CommandContext): Promise<void> {
  return runCommand(raw, async (out) => {
    const options = parseInput(ByIdSchema, raw, "job show options");
    await withChain(options, context, async (chain) => {
      const report = await showJob(await jobsOnChain(chain), new CoordinatorClient(options.coordinator), options.id);
      out.say(`job ${report.jobId} on chain ${chain.chainId}:`);
      out.table(reportRows(report));
      out.done({ chainId: chain.chainId, ...report });
    });
  });
}

function runList(raw: Record<string, unknown>, context: CommandContext): Promise<void> {
  return runCommand(raw, async (out) => {
    const options = parseInput(ListSchema, raw, "job list options");
    const researcher: Address | undefined = options.all
      ? undefined
      : (options.researcher ??
        ((await optionalWalletFor("researcher", options, out))?.address.toLowerCase() as Address | undefined));
    if (!options.all && researcher === undefined) {
      throw new RefusedError(
        "NO_RESEARCHER",
        "job list shows one researcher's jobs: give --researcher ADDRESS, --keystore FILE or TRIBUTARY_RESEARCHER_KEY, or --all",
      );
    }
    await withChain(options, context, async (chain) => {
      const rows = await listJobs(await jobsOnChain(chain), new CoordinatorClient(options.coordinator), researcher);
      out.say(
        `${rows.length} job${rows.length === 1 ? "" : "s"} on chain ${chain.chainId}${researcher === undefined ? "" : ` created by ${researcher}`}`,
      );
      if (rows.length > 0) {
        out.table([
          ["job", "on chain", "anchored", "escrow", "coordinator", "name"],
          ...rows.map((row) => [
            row.jobId,
            row.status,
            `${row.roundsAnchored}/${row.rounds}`,
            formatToken(row.escrow, row.token),
            row.coordinatorStatus ?? "—",
            row.name ?? "",
          ]),
        ]);
      }
      out.done({ chainId: chain.chainId, researcher: researcher ?? null, jobs: rows });
    });
  });
}

function refundResult(action: string, chain: ChainSession, refund: Refund, out: Output): void {
  out.done(
    {
      action,
      chainId: chain.chainId,
      jobId: refund.jobId,
      amount: refund.amount,
      token: refund.token,
      transactions: [refund.tx],
    },
    [
      `${action}: ${formatToken(refund.amount, refund.token)} of job ${refund.jobId} back to the researcher (transaction ${refund.tx.hash})`,
    ],
  );
}

function runRefund(action: "job cancel" | "job reclaim") {
  return (raw: Record<string, unknown>, context: CommandContext): Promise<void> =>
    runCommand(raw, async (out) => {
      const options = parseInput(SignedByIdSchema, raw, `${action} options`);
      const wallet = await walletFor("researcher", options, out);
      await withChain(options, context, async (chain) => {
        const owner = { wallet: wallet.connect(chain.provider), trainingJobs: await chain.contract("TrainingJobs") };
        const refund = await (action === "job cancel" ? cancelJob : reclaimJob)(out, owner, options.id);
        refundResult(action, chain, refund, out);
      });
    });
}

export const runCancel = runRefund("job cancel");
export const runReclaim = runRefund("job reclaim");

function runModel(raw: Record<string, unknown>, context: CommandContext): Promise<void> {
  return runCommand(raw, async (out) => {
    const options = parseInput(ModelSchema, raw, "job model options");
    const wallet = await walletFor("researcher", options, out);
    await withChain(options, context, async (chain) => {
      const trainingJobs = await chain.address("TrainingJobs");
      await researchersJob(chain.provider, trainingJobs, options.id, wallet.address, "its models are its researcher's");
      const coordinator = await CoordinatorClient.signIn(options.coordinator, wallet, Number(chain.chainId));
      const model = await downloadJobModel({
        coordinator,
        jobId: options.id,
        chain: { provider: chain.provider, trainingJobs },
        which: options.last === true ? "last" : "returned",
      });
      const files = await writeJobModel(model, options.out);
      out.done(
        {
          jobId: model.jobId,
          modelCid: model.modelCid,
          returned: model.returned,
          round: model.round,
          sha256: model.sha256,
          parameters: model.weights.length,
          checkedAgainst: model.checkedAgainst,
          files,
        },
        [
          `job ${model.jobId}'s ${model.returned === "last" ? "last" : "best (lowest validation loss)"} model, from round ${model.round + 1} (${model.weights.length} parameters, SHA-256 ${model.sha256}, the modelHash TrainingJobs anchored for that round) written to ${options.out}:`,
          `  ${files.modelJson} + ${files.weightsBin}: tfjs layers model (tf.loadLayersModel)`,
          `  ${files.flat}: the flat weights, little-endian float32; ${files.spec}: the JobSpec`,
        ],
      );
    });
  });
}

export { runList, runModel, runShow };
